"""What users install: the wheel ships every data file, and start-up refuses missing or invalid reference data.

The wheel is built from a copy of the project's files (tracked and new, not ignored), as CI's clean clone
would build it. The whole-service check of the installed artifact is tests/test_installed_package.py.
"""

from __future__ import annotations

import shutil
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from cds_service import create_app
from cds_service.cli import main
from fhir_mappings import analgesics, dosing_frequency, order_edits, terminology
from fhir_mappings.reference_data import ReferenceDataError, check_reference_data
from tests.installed import ROOT, build_wheel, project_files

PACKAGES = ("cds_service", "fhir_mappings", "cards")


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_wheel(tmp_path_factory.mktemp("build"))


def test_the_wheel_ships_every_file_under_the_packages(wheel: Path) -> None:
    shipped = set(zipfile.ZipFile(wheel).namelist())
    expected = {f for f in project_files() if f.split("/")[0] in PACKAGES}
    missing = sorted(expected - shipped)
    assert not missing, f"files under the packages left out of the wheel (pyproject package-data): {missing}"


def test_the_wheel_ships_every_reference_data_file_the_code_opens(wheel: Path) -> None:
    shipped = set(zipfile.ZipFile(wheel).namelist())
    opened = [analgesics.PRODUCTS_FILE, order_edits.ORDER_TEMPLATES_FILE, dosing_frequency.FREQUENCIES_FILE,
              *(terminology.TERMINOLOGY_DIR / f"{name}.json" for name in terminology.CONCEPT_SETS)]
    missing = [str(p.relative_to(ROOT)) for p in opened if str(p.relative_to(ROOT)) not in shipped]
    assert not missing, f"reference data missing from the wheel: {missing}"
    assert "cards/guideline.toml" in shipped


def test_every_concept_set_file_is_registered_and_every_registered_one_exists() -> None:
    on_disk = {p.stem for p in terminology.TERMINOLOGY_DIR.glob("*.json")}
    assert on_disk == set(terminology.CONCEPT_SETS)


@pytest.fixture
def data_copy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """The reference data in a folder of the test's, which the loaders read instead of the package's."""
    folder = tmp_path / "data"
    shutil.copytree(terminology.TERMINOLOGY_DIR, folder / "terminology")
    shutil.copy2(analgesics.PRODUCTS_FILE, folder / "analgesic_products.json")
    shutil.copy2(order_edits.ORDER_TEMPLATES_FILE, folder / "order_templates.json")
    shutil.copy2(dosing_frequency.FREQUENCIES_FILE, folder / "dosing_frequencies.json")
    monkeypatch.setattr(terminology, "TERMINOLOGY_DIR", folder / "terminology")
    monkeypatch.setattr(analgesics, "PRODUCTS_FILE", folder / "analgesic_products.json")
    monkeypatch.setattr(order_edits, "ORDER_TEMPLATES_FILE", folder / "order_templates.json")
    monkeypatch.setattr(dosing_frequency, "FREQUENCIES_FILE", folder / "dosing_frequencies.json")
    loaders = (terminology.concept_set, analgesics.product_table, order_edits.order_templates,
               dosing_frequency.frequency_table)
    for loader in loaders:
        loader.cache_clear()
    yield folder
    for loader in loaders:
        loader.cache_clear()


def test_the_packaged_reference_data_is_valid() -> None:
    check_reference_data()


@pytest.mark.parametrize("name", ["analgesic_products.json", "order_templates.json", "dosing_frequencies.json",
                                  "terminology/pain-score.json"])
def test_a_missing_file_stops_the_app_factory_naming_it(data_copy: Path, tmp_path: Path, name: str) -> None:
    (data_copy / name).unlink()
    with pytest.raises(ReferenceDataError, match=name.replace(".", r"\.") + ".*missing"):
        create_app({"instance_path": tmp_path / "instance", "auth_required": False})


@pytest.mark.parametrize(("name", "content", "problem"), [
    ("analgesic_products.json", "{not json", "cannot read"),
    ("analgesic_products.json", '{"system": "x", "ingredients": {}, "products": {}, '
                                '"excludedProducts": {}, "excludedText": []}', "ingredients"),
    ("order_templates.json", '{"templates": {"x": {"code": {}}}}', "resourceType"),
    ("dosing_frequencies.json", '{"system": "x", "perDay": {"TID": "three"}, "textPerDay": {"tds": 3}}', "perDay"),
    ("terminology/complete-rest.json", '{"resourceType": "ValueSet", "id": "bed-rest", "compose": {"include": []}}',
     "its id is 'bed-rest'"),
])
def test_an_invalid_file_stops_start_up_naming_it_and_the_problem(data_copy: Path, name: str, content: str,
                                                                   problem: str) -> None:
    (data_copy / name).write_text(content)
    with pytest.raises(ReferenceDataError) as raised:
        check_reference_data()
    assert name in str(raised.value) and problem in str(raised.value)


def test_evaluate_refuses_to_run_naming_the_missing_file(data_copy: Path, tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("CDS_INSTANCE_PATH", str(tmp_path / "instance"))
    (data_copy / "analgesic_products.json").unlink()
    assert main(["evaluate", str(ROOT / "examples" / "order-sign-violating.json")]) == 2
    assert "analgesic_products.json: reference data file missing" in capsys.readouterr().err


def test_serve_refuses_to_start_before_any_worker_boots(data_copy: Path, tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    import cds_service.server

    def must_not_serve(*args: object, **kwargs: object) -> None:
        raise AssertionError("the server started with reference data missing")

    monkeypatch.setattr(cds_service.server, "serve", must_not_serve)
    monkeypatch.setenv("CDS_INSTANCE_PATH", str(tmp_path / "instance"))
    (data_copy / "order_templates.json").unlink()
    assert main(["serve", "--port", "0"]) == 2
    assert "order_templates.json: reference data file missing" in capsys.readouterr().err
