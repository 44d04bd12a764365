from shared.serve import serve

from .config import SettlementSettings
from .main import create_app

serve(create_app, SettlementSettings())
