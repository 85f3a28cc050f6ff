"""The reference-data loader: the shipped data loads, broken copies fail naming file and line, and
names match however they are typed."""

from __future__ import annotations

import re
import shutil
import unicodedata
from collections.abc import Callable
from pathlib import Path

import pytest

from kc_pipeline.paths import reference_dir
from kc_pipeline.reference import Reference, ReferenceDataError, load_reference
from kc_pipeline.text import nfc


@pytest.fixture(scope="module")
def ref() -> Reference:
    return load_reference()


def nfd(text: str) -> str:
    return unicodedata.normalize("NFD", text)


# ------------------------------------------------------------------------------------- good data


def test_shipped_reference_data_loads(ref: Reference) -> None:
    assert set(ref.funding_sources) == {"KCQG", "KCDP"}
    assert {"19", "164", "165", "167", "168", "169", "170", "171", "172", "173"} == set(ref.units)
    assert ref.units["171"].slug == "dai-tu" and ref.units["171"].parent_code == "19"
    assert len(ref.activities) == 16
    assert all(a.programme_code in ref.programmes for a in ref.activities.values())
    assert ref.activities["vocational_training"].counts == frozenset({"trainees"})
    assert {"tea", "forest_products"} <= set(ref.value_chains)
    assert ref.units_by_slug["pho-yen"].unit_code == "172"
    assert ref.column_kind("support_vnd") == "money"


def test_unit_validity_by_year(ref: Reference) -> None:
    dai_tu = ref.units["171"]
    assert dai_tu.valid_in(2021) and dai_tu.valid_in(2025)
    assert not dai_tu.valid_in(2026)  # district level abolished from 1/7/2025
    assert ref.units["19"].valid_in(2030)


def test_loading_is_cached_until_a_file_changes(tmp_path: Path) -> None:
    directory = shutil.copytree(reference_dir(), tmp_path / "reference")
    first = load_reference(directory)
    assert load_reference(directory) is first
    path = directory / "funding_sources.csv"
    path.write_text(path.read_text(encoding="utf-8").replace("|NSTW", "|NSTW|Ngân sách TW"), encoding="utf-8")
    second = load_reference(directory)
    assert second is not first
    assert second.funding_names.exact("ngân sách TW") == "KCQG"


def test_bom_and_windows_line_ends_are_fine(tmp_path: Path) -> None:
    directory = shutil.copytree(reference_dir(), tmp_path / "reference")
    for path in directory.glob("*.csv"):
        text = path.read_text(encoding="utf-8")
        path.write_bytes(("\ufeff" + text.replace("\n", "\r\n")).encode("utf-8"))
    assert load_reference(directory).units["171"].name == "Đại Từ"


# ----------------------------------------------------------------------------------- broken copies


def edit(name: str, change: Callable[[str], str]) -> Callable[[Path], None]:
    def apply(directory: Path) -> None:
        path = directory / name
        before = path.read_text(encoding="utf-8")
        after = change(before)
        assert after != before, f"the edit of {name} changed nothing"
        path.write_text(after, encoding="utf-8")

    return apply


def line_of(directory: Path, name: str, starts: str) -> int:
    lines = (directory / name).read_text(encoding="utf-8").splitlines()
    return next(n for n, text in enumerate(lines, start=1) if text.startswith(starts))


BROKEN: dict[str, tuple[Callable[[Path], None], str, str | int]] = {
    # case: (edit, file named in the error, line: a number or the start of the offending line)
    "missing column": (
        edit(
            "activities.csv",
            lambda t: t.replace("activity_code,programme_code,", "activity_code,programme,", 1),
        ),
        "activities.csv",
        1,
    ),
    "duplicate code": (
        edit("programmes.csv", lambda t: t + "technology,Chương trình trùng,Trùng,,\n"),
        "programmes.csv",
        "technology,Chương trình trùng",
    ),
    "duplicate unit": (
        edit("org_units.csv", lambda t: t + "171,Đại Từ mới,district,19,,,dai-tu-moi,,\n"),
        "org_units.csv",
        "171,Đại Từ mới",
    ),
    "unknown programme in activities": (
        edit("activities.csv", lambda t: t.replace("advisory,advisory,", "advisory,consulting,", 1)),
        "activities.csv",
        "advisory,consulting,",
    ),
    "bad date": (
        edit("org_units.csv", lambda t: t.replace("2025-06-30,dai-tu", "30/06/2025,dai-tu", 1)),
        "org_units.csv",
        "171,",
    ),
    "bad programme date": (
        edit(
            "programmes.csv",
            lambda t: t.replace("Quy hoạch cụm công nghiệp,,", "Quy hoạch cụm công nghiệp,2021-13-01,"),
        ),
        "programmes.csv",
        "linkage_clusters,",
    ),
    "bad regex": (
        edit("row_rules.csv", lambda t: t.replace('signature,regex,"^', 'signature,regex,"^(', 1)),
        "row_rules.csv",
        'signature,regex,"^(',
    ),
    "letter in a mark rule": (
        edit("row_rules.csv", lambda t: t + "note,mark,*a,Marks are punctuation only\n"),
        "row_rules.csv",
        "note,mark,*a",
    ),
    "unknown match kind": (
        edit("row_rules.csv", lambda t: t + "note,glob,abc*,Glob patterns are not supported\n"),
        "row_rules.csv",
        "note,glob",
    ),
    "unknown column kind": (
        edit("columns.csv", lambda t: t.replace("note,text,", "note,texte,", 1)),
        "columns.csv",
        "note,texte",
    ),
    "heading naming two fields": (
        edit("columns.csv", lambda t: t.replace("note,text,Ghi chú|", "note,text,Tên đề án|Ghi chú|", 1)),
        "columns.csv",
        "note,text,Tên đề án",
    ),
    "generic not yes or no": (
        edit("columns.csv", lambda t: t.replace("Tổng dự toán,yes,", "Tổng dự toán,oui,", 1)),
        "columns.csv",
        "total_vnd,",
    ),
    "generic text field": (
        edit("columns.csv", lambda t: t.replace("Ghi chú khác,,", "Ghi chú khác,yes,", 1)),
        "columns.csv",
        "note,",
    ),
    "stop word empty after folding": (
        edit("columns.csv", lambda t: t.replace(",,thuế|", ",,thuế|-|", 1)),
        "columns.csv",
        "project_code,",
    ),
    "unknown parent unit": (
        edit(
            "org_units.csv", lambda t: t.replace("173,Phú Bình,district,19,", "173,Phú Bình,district,99,", 1)
        ),
        "org_units.csv",
        "173,",
    ),
    "empty name": (
        edit("funding_sources.csv", lambda t: t.replace("KCQG,Khuyến công quốc gia,", "KCQG,,", 1)),
        "funding_sources.csv",
        "KCQG,,",
    ),
    "more cells than columns": (
        edit("sectors.csv", lambda t: t + "extra,Thừa,no,a,b,c,d\n"),
        "sectors.csv",
        "extra,",
    ),
    "unknown count kind": (
        edit("activities.csv", lambda t: t.replace("kỹ thuật,models,", "kỹ thuật,modls,", 1)),
        "activities.csv",
        "demo_model,",
    ),
    "bad slug": (
        edit("org_units.csv", lambda t: t.replace(",vo-nhai,", ",Võ Nhai,", 1)),
        "org_units.csv",
        "170,",
    ),
}


@pytest.mark.parametrize("case", list(BROKEN))
def test_broken_copy_names_file_and_line(tmp_path: Path, case: str) -> None:
    change, name, where = BROKEN[case]
    directory = shutil.copytree(reference_dir(), tmp_path / "reference")
    change(directory)
    line = where if isinstance(where, int) else line_of(directory, name, where)
    with pytest.raises(ReferenceDataError) as caught:
        load_reference(directory)
    message = str(caught.value)
    assert re.match(rf"^{re.escape(str(directory / name))}:{line}: ", message), message


def test_missing_file_is_named(tmp_path: Path) -> None:
    directory = shutil.copytree(reference_dir(), tmp_path / "reference")
    (directory / "sectors.csv").unlink()
    with pytest.raises(ReferenceDataError, match=r"sectors\.csv: reference file is missing"):
        load_reference(directory)


def test_missing_directory(tmp_path: Path) -> None:
    with pytest.raises(ReferenceDataError, match="reference directory is missing"):
        load_reference(tmp_path / "nowhere")


def test_a_fixed_copy_loads_again(tmp_path: Path) -> None:
    directory = shutil.copytree(reference_dir(), tmp_path / "reference")
    path = directory / "row_rules.csv"
    good = path.read_text(encoding="utf-8")
    path.write_text(good.replace('signature,regex,"^', 'signature,regex,"^(', 1), encoding="utf-8")
    with pytest.raises(ReferenceDataError):
        load_reference(directory)
    path.write_text(good, encoding="utf-8")
    assert load_reference(directory).row_rule("ghi chu tam tinh") == "note"


# --------------------------------------------------------------------------------------- matching


@pytest.mark.parametrize(
    "spelling",
    [
        "Đại Từ",
        "ĐẠI TỪ",
        "đại từ",
        "Dai Tu",
        "DAI TU",
        nfd("Đại Từ"),
        nfd("HUYỆN ĐẠI TỪ"),
        "Huyện  Đại   Từ",
        "Huyện Đại Từ.",
        "(Huyện) Đại-Từ",
        "UBND huyện Đại Từ",
    ],
)
def test_unit_names_match_accent_case_nfd_and_punctuation_insensitively(
    ref: Reference, spelling: str
) -> None:
    assert ref.unit_names.exact(spelling) == "171"
    assert ref.unit_names.search(f"DANH MỤC ĐỀ ÁN {spelling} NĂM 2021") == "171"


@pytest.mark.parametrize(
    ("spelling", "code"),
    [
        ("KCĐP", "KCDP"),
        ("kcdp", "KCDP"),
        (nfd("Khuyến công địa phương"), "KCDP"),
        ("KHUYEN CONG DIA PHUONG:", "KCDP"),
        ("Trung ương", "KCQG"),
        ("TW", "KCQG"),
        ("quốc gia", "KCQG"),
    ],
)
def test_funding_aliases(ref: Reference, spelling: str, code: str) -> None:
    assert ref.funding_names.exact(spelling) == code


def test_programme_and_activity_aliases(ref: Reference) -> None:
    assert ref.programme_names.exact("CHƯƠNG TRÌNH ĐÀO TẠO NGHỀ") == "human_resources"
    assert (
        ref.programme_names.search(nfd("1. Chương trình đào tạo nghề, truyền nghề ...")) == "human_resources"
    )
    assert ref.activity_names.exact("hoi cho trien lam") == "trade_fair"
    assert ref.activity_names.exact("Sản phẩm CNNT tiêu biểu") == "typical_product"


def test_search_all_finds_every_unit_in_a_title(ref: Reference) -> None:
    text = "KẾ HOẠCH KHUYẾN CÔNG HUYỆN PHÚ LƯƠNG, TỈNH THÁI NGUYÊN"
    assert ref.unit_names.search_all(text) == ["168", "19"]
    assert ref.unit_names.search_all("DANH MỤC ĐỀ ÁN") == []


def test_names_are_whole_words(ref: Reference) -> None:
    assert ref.unit_names.search("Nhà máy Đại Từ Hưng") == "171"  # a whole-word match is still a match
    assert ref.unit_names.search("Xã Phú Bìnhh") is None
    assert ref.funding_names.search("Công ty TWG") is None


@pytest.mark.parametrize(
    ("text", "chain"),
    [
        ("Hỗ trợ máy sao chè", "tea"),
        ("HỖ TRỢ MÁY SAO CHÈ", "tea"),
        (nfd("Hỗ trợ máy sao chè"), "tea"),
        ("Chè Tân Cương", "tea"),
        ("Ho tro may sao che", "tea"),  # typed without diacritics: matched on the folded form
        ("Hỗ trợ máy chế biến gạo", None),  # chế is not chè
        ("Chế tạo khuôn mẫu", None),
        ("Xưởng chế biến gỗ", "forest_products"),
        ("Xưởng chè và chế biến gỗ", "forest_products"),  # the longest keyword wins
    ],
)
def test_value_chain_keywords_keep_tone_marks(ref: Reference, text: str, chain: str | None) -> None:
    assert ref.value_chain_keywords.classify(text) == chain


def test_sector_keywords(ref: Reference) -> None:
    assert ref.sector_keywords.classify("Hỗ trợ máy chế biến gạo") is None
    assert ref.sector_keywords.classify("Sản xuất gạch không nung") == "building_materials"
    assert ref.sector_keywords.classify("Mây tre đan xuất khẩu") == "handicraft"


def test_one_row_text_is_normalised_once_for_every_keyword_index(
    ref: Reference, monkeypatch: pytest.MonkeyPatch
) -> None:
    from kc_pipeline import reference

    calls: list[str] = []
    monkeypatch.setattr(reference, "nfc", lambda text: calls.append(text) or nfc(text))
    text = unicodedata.normalize("NFD", "Hỗ trợ máy SẤY chè cho HTX\x07 Tân Cương  mới")
    found = [
        ref.activity_keywords.classify(text),
        ref.sector_keywords.classify(text),
        ref.value_chain_keywords.classify(text),
    ]
    assert found == ["machinery_transfer", "agro_food_processing", "tea"]
    assert calls == [text]


@pytest.mark.parametrize(
    "text", ["Đào tạo\tnghề", unicodedata.normalize("NFD", "MÂY TRE ĐAN"), "a\x00b", "İstanbul ÇAY", ""]
)
def test_the_remembered_lowered_text_is_nfc_lowered(text: str) -> None:
    from kc_pipeline.reference import _lowered

    assert _lowered(text) == nfc(text).lower()
    assert _lowered(text) == nfc(text).lower()  # and again, from memory


def test_activity_keywords_restricted_to_a_programme(ref: Reference) -> None:
    allowed = ref.activities_by_programme["human_resources"]
    assert ref.activity_keywords.classify("Hỗ trợ máy sao chè") == "machinery_transfer"
    assert ref.activity_keywords.classify("Hỗ trợ máy sao chè", allowed) is None
    assert ref.activity_keywords.classify("Lớp khởi sự doanh nghiệp", allowed) == "startup_training"


@pytest.mark.parametrize(
    ("title", "activity"),
    [
        ("Tập huấn sản xuất sạch hơn cho cơ sở chế biến chè", "workshop_training"),
        ("Hội thảo sản xuất sạch hơn trong công nghiệp", "workshop_training"),
        ("Mô hình thí điểm sản xuất sạch hơn tại xưởng gỗ", "cleaner_production"),
        ("Hỗ trợ máy in bao bì", "machinery_transfer"),
        ("Hỗ trợ máy đóng gói bao bì chè", "machinery_transfer"),
        ("Thiết kế mẫu mã bao bì sản phẩm chè", "brand_design"),
    ],
)
def test_activity_keywords_on_titles_that_name_two_activities(
    ref: Reference, title: str, activity: str
) -> None:
    """The longest keyword wins: a training about cleaner production is a training, a machine
    that prints packaging is a machine."""
    assert ref.activity_keywords.classify(title) == activity


@pytest.mark.parametrize(
    ("label", "rule"),
    [
        ("cong", "subtotal"),
        ("cong i", "subtotal"),
        ("cong chuong trinh 1", "subtotal"),
        ("cong i ii", "subtotal"),
        ("tong cong", "total"),
        ("tong cong a b", "total"),
        ("cong nhan lang nghe che tan cuong", None),
        ("cong dong lang nghe", None),
        ("ghi chu so lieu tam tinh", "note"),
        ("nguoi lap bieu", "signature"),
        ("dai tu ngay 10 thang 01 nam 2021", "signature"),
        ("dao tao nghe", None),
    ],
)
def test_row_rules(ref: Reference, label: str, rule: str | None) -> None:
    assert ref.row_rule(label) == rule
