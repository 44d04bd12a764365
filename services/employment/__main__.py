from shared.service.serve import main

from .config import EmploymentSettings
from .main import create_app

main(create_app, EmploymentSettings())
