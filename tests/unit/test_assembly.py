"""Services are assembled without connecting to anything, and stay apart from each other."""

import subprocess
import sys
from pathlib import Path

from services.education.config import EducationSettings
from services.education.main import create_app as create_education
from services.settlement.config import SettlementSettings
from services.settlement.main import create_app as create_settlement

ROOT = Path(__file__).resolve().parents[2]


def test_creating_an_app_connects_to_nothing() -> None:
    # Neither address answers: building the app must not try.
    settings = {
        "auth_secret": "x" * 40,
        "kafka_bootstrap_servers": "127.0.0.1:1",
        "database_url": "postgresql+psycopg://nobody@127.0.0.1:1/none",
    }
    assert create_settlement(SettlementSettings(**settings)).title == "Samvirke settlement"
    assert create_education(EducationSettings(**settings)).title == "Samvirke education"


def test_each_service_exposes_the_same_layers() -> None:
    layers = {"__init__", "__main__", "config", "models", "store", "handlers", "api", "main"}
    for service in ("settlement", "education", "employment", "volunteering"):
        folder = ROOT / "services" / service
        # a layer is a module, or a package once it grew
        present = {p.stem for p in folder.glob("*.py")} | {
            p.parent.name for p in folder.glob("*/__init__.py")
        }
        assert layers <= present, f"{service} lacks {layers - present}"


def test_import_contracts_hold() -> None:
    lint_imports = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run([str(lint_imports)], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
