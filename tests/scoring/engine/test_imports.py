import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
PROJECT_PACKAGES = ("moon", "tokens", "ingestion")


def test_importing_the_engine_imports_neither_django_nor_the_project() -> None:
    code = "import json, sys, scoring.engine; print(json.dumps(sorted(sys.modules)))"

    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )

    modules = json.loads(result.stdout)
    assert [m for m in modules if m == "django" or m.startswith("django.")] == []
    assert [m for m in modules if m.split(".")[0] in PROJECT_PACKAGES] == []
    assert [
        m for m in modules if m.startswith("scoring.") and not m.startswith("scoring.engine")
    ] == []
