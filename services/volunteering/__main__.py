from shared.serve import serve

from .config import VolunteeringSettings
from .main import create_app

serve(create_app, VolunteeringSettings())
