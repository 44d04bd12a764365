from shared.service.serve import main

from .config import EducationSettings
from .main import create_app

main(create_app, EducationSettings())
