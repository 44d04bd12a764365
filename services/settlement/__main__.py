from shared.service.serve import main

from .config import SettlementSettings
from .main import create_app

main(create_app, SettlementSettings())
