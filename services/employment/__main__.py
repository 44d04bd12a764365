from shared.serve import serve

from .config import EmploymentSettings
from .main import create_app

serve(create_app, EmploymentSettings())
