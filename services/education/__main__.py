from shared.serve import serve

from .config import EducationSettings
from .main import create_app

serve(create_app, EducationSettings())
