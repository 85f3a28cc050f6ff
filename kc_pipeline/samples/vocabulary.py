"""Vietnamese vocabulary for the sample corpus, kept as plain data so that tests can check every entry.

Names are real places of Thái Nguyên; titles are built from per-activity templates filled with sector
phrases, so that a title names its activity the way a clerk would ("Hỗ trợ ứng dụng máy sao chè ...")
and ``reference.activity_keywords`` recognises it. Every string is chosen to be writable in a normal
TCVN3 font (no capital letter carrying a tone mark), because legacy workbooks reuse it.
"""

from __future__ import annotations

from dataclasses import dataclass

# Reporting units in a fixed order; layout rotation and project-code abbreviations key on the slug.
UNIT_ORDER: tuple[str, ...] = (
    "tinh",
    "thai-nguyen",
    "song-cong",
    "dinh-hoa",
    "phu-luong",
    "dong-hy",
    "vo-nhai",
    "dai-tu",
    "pho-yen",
    "phu-binh",
)
DISTRICT_ORDER: tuple[str, ...] = UNIT_ORDER[1:]

UNIT_ABBR: dict[str, str] = {
    "tinh": "TTKC",
    "thai-nguyen": "TPTN",
    "song-cong": "SC",
    "dinh-hoa": "DH",
    "phu-luong": "PL",
    "dong-hy": "DHY",
    "vo-nhai": "VN",
    "dai-tu": "DT",
    "pho-yen": "PY",
    "phu-binh": "PB",
}

# Place name used in the date line of the signature block ("Đại Từ, ngày 15 tháng 12 năm 2021").
UNIT_PLACE: dict[str, str] = {
    "tinh": "Thái Nguyên",
    "thai-nguyen": "TP. Thái Nguyên",
    "song-cong": "Sông Công",
    "dinh-hoa": "Định Hóa",
    "phu-luong": "Phú Lương",
    "dong-hy": "Đồng Hỷ",
    "vo-nhai": "Võ Nhai",
    "dai-tu": "Đại Từ",
    "pho-yen": "Phổ Yên",
    "phu-binh": "Phú Bình",
}

# Communes and wards per unit as (kind, name); cells hold the name, titles "kind name".
COMMUNES: dict[str, tuple[tuple[str, str], ...]] = {
    "thai-nguyen": (
        ("xã", "Tân Cương"),
        ("xã", "Phúc Xuân"),
        ("xã", "Phúc Trìu"),
        ("xã", "Quyết Thắng"),
        ("xã", "Thịnh Đức"),
        ("phường", "Gia Sàng"),
        ("phường", "Tân Thịnh"),
    ),
    "song-cong": (
        ("xã", "Bá Xuyên"),
        ("xã", "Tân Quang"),
        ("xã", "Bình Sơn"),
        ("xã", "Vinh Sơn"),
        ("phường", "Lương Sơn"),
        ("phường", "Bách Quang"),
    ),
    "dinh-hoa": (
        ("thị trấn", "Chợ Chu"),
        ("xã", "Trung Hội"),
        ("xã", "Kim Phượng"),
        ("xã", "Phượng Tiến"),
        ("xã", "Bảo Cường"),
        ("xã", "Tân Dương"),
        ("xã", "Điềm Mặc"),
    ),
    "phu-luong": (
        ("thị trấn", "Đu"),
        ("thị trấn", "Giang Tiên"),
        ("xã", "Phấn Mễ"),
        ("xã", "Vô Tranh"),
        ("xã", "Tức Tranh"),
        ("xã", "Yên Ninh"),
        ("xã", "Phủ Lý"),
    ),
    "dong-hy": (
        ("thị trấn", "Trại Cau"),
        ("thị trấn", "Sông Cầu"),
        ("xã", "Hóa Thượng"),
        ("xã", "Minh Lập"),
        ("xã", "Khe Mo"),
        ("xã", "Văn Hán"),
        ("xã", "Nam Hòa"),
    ),
    "vo-nhai": (
        ("thị trấn", "Đình Cả"),
        ("xã", "La Hiên"),
        ("xã", "Tràng Xá"),
        ("xã", "Dân Tiến"),
        ("xã", "Phú Thượng"),
        ("xã", "Bình Long"),
    ),
    "dai-tu": (
        ("thị trấn", "Hùng Sơn"),
        ("xã", "La Bằng"),
        ("xã", "Hoàng Nông"),
        ("xã", "Phú Xuyên"),
        ("xã", "Tân Linh"),
        ("xã", "Khôi Kỳ"),
        ("xã", "Mỹ Yên"),
        ("xã", "Bình Thuận"),
    ),
    "pho-yen": (
        ("phường", "Ba Hàng"),
        ("phường", "Bãi Bông"),
        ("xã", "Minh Đức"),
        ("xã", "Phúc Thuận"),
        ("xã", "Vạn Phái"),
        ("xã", "Tiên Phong"),
    ),
    "phu-binh": (
        ("thị trấn", "Hương Sơn"),
        ("xã", "Kha Sơn"),
        ("xã", "Tân Đức"),
        ("xã", "Điềm Thụy"),
        ("xã", "Thượng Đình"),
        ("xã", "Nhã Lộng"),
        ("xã", "Bảo Lý"),
    ),
}

FAMILY_NAMES: tuple[str, ...] = (
    "Nguyễn",
    "Trần",
    "Lê",
    "Phạm",
    "Hoàng",
    "Vũ",
    "Đỗ",
    "Bùi",
    "Đặng",
    "Dương",
    "Ma",
    "Lương",
    "Hà",
    "Nông",
)
MIDDLE_NAMES: tuple[str, ...] = ("Văn", "Thị", "Đức", "Minh", "Thanh", "Quang", "Ngọc", "Xuân", "Hữu")
GIVEN_NAMES: tuple[str, ...] = (
    "Hùng",
    "Hương",
    "Lan",
    "Dũng",
    "Tuấn",
    "Hải",
    "Thắng",
    "Hòa",
    "Phương",
    "Nga",
    "Quân",
    "Bình",
    "Cường",
    "Thủy",
    "Hạnh",
    "Sơn",
    "Long",
    "Huyền",
    "Trung",
    "Mai",
    "Thảo",
    "Tiến",
)
BRAND_NAMES: tuple[str, ...] = (
    "Hà Thái",
    "Minh Đức",
    "Thái Hà",
    "Phúc Lâm",
    "Hoàng Long",
    "Tân Phát",
    "Việt Thắng",
    "An Khánh",
    "Bình Minh",
    "Trường Sơn",
    "Hưng Thịnh",
    "Kim Ngân",
)
COOP_NAMES: tuple[str, ...] = (
    "Tân Hương",
    "Hảo Đạt",
    "Khe Cốc",
    "Hoàng Bình",
    "Tuyết Sơn",
    "Đồng Tâm",
    "Thịnh Vượng",
    "Sơn Hà",
    "Vạn Thọ",
    "Hòa Bình",
)
PROVINCES_TOURED: tuple[str, ...] = (
    "Phú Thọ",
    "Bắc Ninh",
    "Hà Nội",
    "Nam Định",
    "Lâm Đồng",
    "Tuyên Quang",
    "Hà Giang",
    "Ninh Bình",
)

# Beneficiary patterns: {person}, {brand}, {coop}, {trade}, {company_trade}.
FIRM_PATTERNS: tuple[str, ...] = (
    "Hộ kinh doanh {person}",
    "HTX {trade} {coop}",
    "Công ty TNHH {company_trade} {brand}",
    "Cơ sở {trade} {person_short}",
    "Cơ sở sản xuất {trade} {person}",
)
# For activities that serve many people rather than one firm: {commune}, {place}.
GROUP_PATTERNS: tuple[str, ...] = (
    "Lao động nông thôn {commune}",
    "Các cơ sở CNNT trên địa bàn {place}",
    "Các cơ sở sản xuất {trade} {commune}",
)

GROUP_PATTERNS_BY_ACTIVITY: dict[str, tuple[str, ...]] = {
    "vocational_training": ("Lao động nông thôn {commune}", "Các cơ sở sản xuất {trade} {commune}"),
    "study_tour": ("Các cơ sở CNNT trên địa bàn {place}",),
}


@dataclass(frozen=True, slots=True)
class SectorWords:
    """Phrases of one sector: what is produced, how firms are named, machines, skills, demonstrations."""

    product: str
    trade: str
    company_trade: str
    machines: tuple[str, ...]
    skills: tuple[str, ...]
    demos: tuple[str, ...]


SECTORS: dict[str, SectorWords] = {
    "tea": SectorWords(
        "chè",
        "chè",
        "Chè",
        ("máy sao chè, vò chè", "máy sao chè bằng gas", "máy sấy chè", "dây chuyền sao, vò chè liên hoàn"),
        ("chế biến chè", "sao, vò chè thủ công"),
        ("chế biến chè xanh chất lượng cao", "sao chè bằng máy quay tôn đảo chiều"),
    ),
    "wood": SectorWords(
        "đồ gỗ",
        "mộc",
        "Chế biến gỗ",
        ("máy bào, máy cưa gỗ", "dây chuyền xẻ, sấy gỗ", "máy ép ván bóc"),
        ("mộc dân dụng", "mộc mỹ nghệ"),
        ("chế biến gỗ rừng trồng", "sấy gỗ bằng hơi nước"),
    ),
    "rattan": SectorWords(
        "mây tre đan",
        "mây tre đan",
        "Mây tre đan",
        ("máy chẻ nan, vót nan", "máy hấp sấy nguyên liệu tre"),
        ("mây tre đan", "đan lát thủ công"),
        ("xử lý chống mốc sản phẩm mây tre",),
    ),
    "mechanical": SectorWords(
        "cơ khí",
        "cơ khí",
        "Cơ khí",
        ("máy tiện, máy phay CNC", "máy hàn, máy cắt plasma"),
        ("hàn, gò cơ khí", "cơ khí sửa chữa máy nông nghiệp"),
        ("gia công cơ khí chính xác bằng máy CNC",),
    ),
    "garment": SectorWords(
        "may mặc",
        "may",
        "May",
        ("máy may công nghiệp", "máy vắt sổ, máy thùa khuyết"),
        ("may công nghiệp",),
        ("may công nghiệp theo dây chuyền",),
    ),
    "bricks": SectorWords(
        "gạch không nung",
        "gạch",
        "Vật liệu xây dựng",
        ("dây chuyền sản xuất gạch không nung", "máy ép gạch bê tông"),
        ("sản xuất gạch không nung",),
        ("sản xuất gạch không nung từ phế thải",),
    ),
    "noodles": SectorWords(
        "bún, bánh phở",
        "bún",
        "Thực phẩm",
        ("máy làm bún tự động", "dây chuyền tráng bánh phở"),
        ("chế biến bún, bánh phở",),
        ("sản xuất bún khô",),
    ),
    "vermicelli": SectorWords(
        "miến dong",
        "miến",
        "Thực phẩm",
        ("máy tráng miến", "thiết bị sấy miến"),
        ("chế biến miến dong",),
        ("sản xuất miến dong sạch",),
    ),
}
# Thái Nguyên is a tea province: weights for picking a project's sector.
SECTOR_WEIGHTS: dict[str, int] = {
    "tea": 30,
    "wood": 15,
    "rattan": 10,
    "mechanical": 12,
    "garment": 8,
    "bricks": 7,
    "noodles": 9,
    "vermicelli": 9,
}

# Title templates per activity. Placeholders: {beneficiary} {commune} {commune_name} {place} {year}
# {product} {machine} {skill} {demo} {province}. Titles never start with a capital toned letter.
TITLE_TEMPLATES: dict[str, tuple[str, ...]] = {
    "vocational_training": (
        "Đào tạo nghề {skill} cho lao động nông thôn {commune}",
        "Truyền nghề {skill} cho lao động nông thôn {commune}",
        "Đào tạo nâng cao tay nghề {skill} cho lao động tại {beneficiary}",
    ),
    "startup_training": (
        "Đào tạo khởi sự doanh nghiệp cho các cơ sở công nghiệp nông thôn {place}",
        "Tập huấn quản trị doanh nghiệp cho cơ sở sản xuất {product} trên địa bàn {place}",
    ),
    "workshop_training": (
        "Hội thảo giới thiệu kỹ thuật sản xuất {product} cho các cơ sở {commune}",
        "Tập huấn nâng cao năng lực quản lý cho cơ sở sản xuất {product}",
        "Hội nghị tổng kết công tác khuyến công {place} năm {year}",
    ),
    "study_tour": (
        "Tham quan, khảo sát học tập kinh nghiệm sản xuất {product} tại tỉnh {province}",
        "Tổ chức đoàn tham quan học tập mô hình sản xuất {product} tại tỉnh {province}",
    ),
    "demo_model": (
        "Xây dựng mô hình trình diễn kỹ thuật {demo} tại {beneficiary}",
        "Xây dựng mô hình trình diễn kỹ thuật sản xuất {product} tại {commune}",
    ),
    "machinery_transfer": (
        "Hỗ trợ ứng dụng {machine} tại {beneficiary}",
        "Hỗ trợ ứng dụng máy móc thiết bị hiện đại vào sản xuất {product} tại {beneficiary}",
        "Chuyển giao, ứng dụng {machine} cho {beneficiary}",
    ),
    "cleaner_production": (
        "Hỗ trợ áp dụng sản xuất sạch hơn trong sản xuất {product} tại {beneficiary}",
        "Hỗ trợ lắp đặt hệ thống xử lý khí thải cho {beneficiary}",
        "Hỗ trợ xây dựng hệ thống xử lý nước thải tại {beneficiary}",
    ),
    "typical_product": (
        "Tổ chức bình chọn sản phẩm công nghiệp nông thôn tiêu biểu {place} năm {year}",
        "Hỗ trợ {beneficiary} tham gia bình chọn sản phẩm công nghiệp nông thôn tiêu biểu cấp khu vực",
    ),
    "trade_fair": (
        "Hỗ trợ các cơ sở sản xuất {product} tham gia hội chợ triển lãm hàng công nghiệp nông thôn"
        " khu vực phía Bắc",
        "Tổ chức gian hàng giới thiệu sản phẩm {product} tại hội chợ triển lãm {place} năm {year}",
    ),
    "brand_design": (
        "Hỗ trợ xây dựng thương hiệu, thiết kế bao bì sản phẩm {product} cho {beneficiary}",
        "Hỗ trợ đăng ký nhãn hiệu, thiết kế mẫu mã sản phẩm {product} của {beneficiary}",
    ),
    "information": (
        "Xây dựng chuyên mục khuyến công trên sóng phát thanh, truyền hình {place} năm {year}",
        "In ấn tờ rơi, bản tin tuyên truyền chính sách khuyến công năm {year}",
        "Xây dựng phóng sự tuyên truyền về sản xuất {product} {place}",
    ),
    "advisory": (
        "Tư vấn lập dự án đầu tư, quản lý sản xuất cho {beneficiary}",
        "Tư vấn, trợ giúp {beneficiary} hoàn thiện hồ sơ chất lượng sản phẩm {product}",
    ),
    "craft_village": (
        "Hỗ trợ xây dựng hồ sơ công nhận làng nghề {product} {commune}",
        "Hỗ trợ phát triển làng nghề truyền thống {product} {commune}",
    ),
    "cluster_planning": (
        "Lập quy hoạch chi tiết cụm công nghiệp {commune_name}",
        "Hỗ trợ đầu tư hạ tầng kỹ thuật cụm công nghiệp {commune_name}",
    ),
    "linkage": (
        "Hỗ trợ liên kết sản xuất, tiêu thụ sản phẩm {product} theo chuỗi giá trị",
        "Hỗ trợ thành lập và duy trì hoạt động hiệp hội {product} {place}",
    ),
    "organisation_capacity": (
        "Tập huấn nghiệp vụ cho cán bộ khuyến công cấp huyện, cấp xã năm {year}",
        "Kiểm tra giám sát thực hiện các đề án khuyến công năm {year}",
        "Nâng cao năng lực tổ chức khuyến công cho cộng tác viên khuyến công",
    ),
}

# Activities whose beneficiary is a group of people or firms rather than one named firm.
GROUP_ACTIVITIES: frozenset[str] = frozenset(
    {
        "vocational_training",
        "startup_training",
        "workshop_training",
        "study_tour",
        "typical_product",
        "trade_fair",
        "information",
        "craft_village",
        "cluster_planning",
        "linkage",
        "organisation_capacity",
    }
)

# Activity weights: the centre runs every kind of đề án, districts mostly training and machinery.
PROVINCE_ACTIVITY_WEIGHTS: dict[str, int] = {
    "vocational_training": 10,
    "startup_training": 3,
    "workshop_training": 8,
    "study_tour": 5,
    "demo_model": 8,
    "machinery_transfer": 20,
    "cleaner_production": 3,
    "typical_product": 5,
    "trade_fair": 6,
    "brand_design": 5,
    "information": 6,
    "advisory": 3,
    "craft_village": 2,
    "cluster_planning": 3,
    "linkage": 2,
    "organisation_capacity": 3,
}
DISTRICT_ACTIVITY_WEIGHTS: dict[str, int] = {
    "vocational_training": 20,
    "startup_training": 2,
    "workshop_training": 8,
    "study_tour": 2,
    "demo_model": 6,
    "machinery_transfer": 30,
    "cleaner_production": 1,
    "typical_product": 5,
    "trade_fair": 3,
    "brand_design": 5,
    "information": 6,
    "advisory": 2,
    "craft_village": 4,
    "cluster_planning": 1,
    "linkage": 1,
}

# Support per project in triệu đồng for 2014 (low, high), and counterpart as a multiple of support.
SUPPORT_RANGE_2014: dict[str, tuple[float, float]] = {
    "vocational_training": (40, 120),
    "startup_training": (30, 80),
    "workshop_training": (20, 60),
    "study_tour": (50, 150),
    "demo_model": (150, 250),
    "machinery_transfer": (100, 250),
    "cleaner_production": (100, 220),
    "typical_product": (30, 100),
    "trade_fair": (50, 200),
    "brand_design": (30, 80),
    "information": (20, 50),
    "advisory": (20, 60),
    "craft_village": (30, 80),
    "cluster_planning": (150, 250),
    "linkage": (50, 150),
    "organisation_capacity": (20, 80),
}
COUNTERPART_RATIO: dict[str, tuple[float, float]] = {
    "vocational_training": (0.0, 0.2),
    "startup_training": (0.0, 0.0),
    "workshop_training": (0.0, 0.0),
    "study_tour": (0.0, 0.0),
    "demo_model": (1.0, 3.0),
    "machinery_transfer": (1.0, 3.0),
    "cleaner_production": (0.5, 2.0),
    "typical_product": (0.0, 0.0),
    "trade_fair": (0.0, 0.0),
    "brand_design": (0.2, 0.6),
    "information": (0.0, 0.0),
    "advisory": (0.1, 0.3),
    "craft_village": (0.0, 0.0),
    "cluster_planning": (0.3, 1.0),
    "linkage": (0.5, 1.0),
    "organisation_capacity": (0.0, 0.0),
}
TRAINEES_RANGE: dict[str, tuple[int, int]] = {"vocational_training": (20, 60), "startup_training": (25, 50)}

# Short programme names for a "Chương trình" column; each must be an alias in programmes.csv.
PROGRAMME_SHORT: dict[str, tuple[str, ...]] = {
    "human_resources": ("Đào tạo nghề", "Đào tạo nghề truyền nghề", "Phát triển nguồn nhân lực"),
    "management_capacity": ("Nâng cao năng lực quản lý", "Năng lực quản lý"),
    "technology": ("Ứng dụng máy móc thiết bị", "Chuyển giao công nghệ", "Mô hình trình diễn kỹ thuật"),
    "rural_products": ("Sản phẩm CNNT tiêu biểu", "Phát triển sản phẩm công nghiệp nông thôn"),
    "information": ("Thông tin tuyên truyền", "Cung cấp thông tin"),
    "advisory": ("Tư vấn trợ giúp", "Tư vấn"),
    "craft_villages": ("Phát triển làng nghề", "Làng nghề"),
    "linkage_clusters": ("Phát triển cụm công nghiệp", "Liên doanh liên kết"),
    "organisation_capacity": ("Năng lực tổ chức", "Nâng cao năng lực tổ chức khuyến công"),
}
# How a file may write the funding source in a column: (KCQG, KCDP) display pairs.
FUNDING_LABELS: tuple[tuple[str, str], ...] = (
    ("KCQG", "KCĐP"),
    ("Quốc gia", "Địa phương"),
    ("Khuyến công quốc gia", "Khuyến công địa phương"),
    ("TW", "Tỉnh"),
)
FUNDING_SECTIONS: tuple[tuple[str, str], ...] = (
    ("KHUYẾN CÔNG QUỐC GIA", "KHUYẾN CÔNG ĐỊA PHƯƠNG"),
    ("Kinh phí khuyến công quốc gia", "Kinh phí khuyến công địa phương"),
)

DOCUMENT_TITLES: tuple[str, ...] = (
    "DANH MỤC ĐỀ ÁN KHUYẾN CÔNG NĂM {year}",
    "KẾT QUẢ THỰC HIỆN CÁC ĐỀ ÁN KHUYẾN CÔNG NĂM {year}",
    "DANH MỤC CÁC ĐỀ ÁN KHUYẾN CÔNG ĐƯỢC HỖ TRỢ NĂM {year}",
    "TỔNG HỢP ĐỀ ÁN KHUYẾN CÔNG NĂM {year}",
)
NOTES: tuple[str, ...] = (
    "Ghi chú: Kinh phí đối ứng do cơ sở thụ hưởng tự bố trí.",
    "Ghi chú: Các đề án đã được nghiệm thu, thanh quyết toán.",
    "Ghi chú: Số liệu tổng hợp từ báo cáo của các xã, thị trấn.",
)
FOOTNOTES: tuple[str, ...] = (
    "* Kinh phí khuyến công hỗ trợ theo quyết định phê duyệt.",
    "* Số lao động tính theo danh sách học viên hoàn thành khóa học.",
)
MAIN_SHEET_NAMES: tuple[str, ...] = ("Danh mục {year}", "DM de an", "Sheet1", "KC{year}", "Biểu 01")
JUNK_SHEET_NAMES: tuple[str, ...] = ("Data", "Sheet2")
FILE_NAMES: tuple[str, ...] = (
    "danh-muc-de-an-kc-{year}.xlsx",
    "DM_KC_{year}_{abbr}.xlsx",
    "Bao cao khuyen cong {year}.xlsx",
    "KC{year}-{abbr}.xlsx",
)


def unit_kind(slug: str, year: int) -> str:
    """Administrative kind of a district-level unit in ``year`` ("huyện", "thị xã", "thành phố")."""
    if slug == "thai-nguyen":
        return "thành phố"
    if slug == "song-cong":
        return "thị xã" if year < 2015 else "thành phố"
    if slug == "pho-yen":
        return "huyện" if year < 2015 else "thị xã" if year < 2022 else "thành phố"
    return "huyện"


def place_phrase(slug: str, year: int) -> str:
    """How a title names the unit's territory: "huyện Đại Từ", "thành phố Sông Công", "tỉnh Thái Nguyên"."""
    if slug == "tinh":
        return "tỉnh Thái Nguyên"
    name = UNIT_PLACE[slug].removeprefix("TP. ")
    return f"{unit_kind(slug, year)} {name}"


def unit_heading(slug: str, year: int) -> tuple[str, str]:
    """The two issuing-office lines above a table, as a district or the provincial centre writes them."""
    if slug == "tinh":
        return "SỞ CÔNG THƯƠNG TỈNH THÁI NGUYÊN", "TRUNG TÂM KHUYẾN CÔNG VÀ TƯ VẤN PHÁT TRIỂN CÔNG NGHIỆP"
    kind = unit_kind(slug, year)
    office = "PHÒNG KINH TẾ" if kind == "thành phố" else "PHÒNG KINH TẾ VÀ HẠ TẦNG"
    return f"UBND {place_phrase(slug, year).upper()}", office
