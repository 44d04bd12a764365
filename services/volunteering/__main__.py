from shared.service.serve import main

from .config import VolunteeringSettings
from .main import create_app

main(create_app, VolunteeringSettings())
