"""``ntvt plan new``: a commented plan skeleton a ward's secretary fills in and loads.

The skeleton is a valid plan file as written (``ntvt plan check`` passes), so a secretary
can check it after every change; every value to replace is marked ``# ĐIỀN`` ("fill in").
"""

from __future__ import annotations

import re

from core.text import fold

_PREFIXES = ("phuong ", "xa ", "dac khu ")


def ward_name(ward: str) -> str:
    """Return the ward's official name: "Hoàn Kiếm" becomes "Phường Hoàn Kiếm"."""
    name = " ".join(ward.split())
    if fold(name).startswith(_PREFIXES):
        return name[0].upper() + name[1:]
    return f"Phường {name}"


def ward_slug(ward: str) -> str:
    """Return an ASCII key for the ward: "Phường Hoàn Kiếm" -> "phuong-hoan-kiem"."""
    return re.sub(r"[^a-z0-9]+", "-", fold(ward_name(ward))).strip("-")


def skeleton_file_name(ward: str, year: int) -> str:
    """Return the skeleton's default file name: "phuong-hoan-kiem-2027.yaml"."""
    return f"{ward_slug(ward)}-{year}.yaml"


def skeleton(ward: str, year: int) -> str:
    """Return the commented plan skeleton for ``ward``'s council and ``year``."""
    name = ward_name(ward)
    lower = name[0].lower() + name[1:]  # "phường Hoàn Kiếm", as inside a sentence
    slug = ward_slug(ward)
    short = name.split(" ", 1)[1] if " " in name else name
    return _TEMPLATE.format(
        name=name,
        lower=lower,
        slug=slug,
        short=short,
        year=year,
        previous=year - 1,
    )


_TEMPLATE = """\
# Kế hoạch thi đua, khen thưởng năm {year} của Hội đồng Thi đua - Khen thưởng {lower}.
# Skeleton written by "ntvt plan new": replace every value marked "# ĐIỀN" (fill in), delete
# the examples you do not need, then:
#   ntvt plan check {slug}-{year}.yaml    # lists every entry that cannot be right
#   ntvt plan load  {slug}-{year}.yaml    # loads the council, its units and the plan's tasks
#
# Rules of the format (the README's "Your ward's plan" says more):
# - Text in UTF-8 with its diacritics ("Phường", not "Phuong"); days written "YYYY-MM-DD",
#   quoted. Lines starting with "#" are comments; "source" and "note" are free text.
# - key: a stable ASCII name, lower case with "-" (to-dan-pho-1). Never reuse a key for a
#   different body: a body that ends keeps its key, a new body gets a new one.
# - valid_from / valid_to: the days a body exists, both included; leave one out when open.

# ---- The council ---------------------------------------------------------------------
council:
  key: hdtdkt-{slug}
  name: "Hội đồng Thi đua - Khen thưởng {lower}"
  level: ward                       # a ward's council: its units are groups and bodies of the ward
  secretariat_key: van-phong        # the standing office (cơ quan thường trực): a unit below
  valid_from: "2025-07-01"          # wards' councils since the reform of 1/7/2025

# ---- Units: every body whose people can be nominated, or which owes a task ----------------
# kind: ward, department, residential_group (tổ dân phố), school, police, organisation
# (hội, đoàn thể), enterprise, other. aliases: the short forms residents type; the bot also
# matches them without diacritics, so "to dan pho 1" finds "Tổ dân phố số 1".
units:
  - key: {slug}
    name: "{name}"
    kind: ward
    aliases: ["{short}"]
    note: "the ward as a whole, for a deed tied to none of its groups"
    valid_from: "2025-07-01"
  - key: van-phong
    name: "Văn phòng HĐND và UBND {lower}"        # ĐIỀN: the standing office's name
    kind: department
    aliases: ["Văn phòng phường"]
    valid_from: "2025-07-01"
  - key: to-dan-pho-1
    name: "Tổ dân phố số 1"                       # ĐIỀN: one entry per tổ dân phố
    kind: residential_group
    aliases: ["Tổ dân phố 1", "TDP 1"]
    valid_from: "2025-07-01"
  - key: truong-tieu-hoc-1
    name: "Trường Tiểu học ..."                   # ĐIỀN: the school's name
    kind: school
    valid_from: "2025-07-01"
  - key: cong-an-phuong
    name: "Công an {lower}"
    kind: police
    aliases: ["Công an phường"]
    valid_from: "2025-07-01"
  - key: hoi-phu-nu
    name: "Hội Liên hiệp Phụ nữ {lower}"
    kind: organisation
    aliases: ["Hội Phụ nữ"]
    valid_from: "2025-07-01"
  # A body that ended names its successors, so that a resident who types it is told where
  # its area went and offered them. successors: key (a unit of this file that exists the day
  # after it ended) or name (a body outside this file, e.g. a neighbouring ward); share:
  # whole or part; basis: unit (its area and its role), or area (only where its area lies).
  # Example, an old ward of before 1/7/2025 (ĐIỀN: yours, or delete):
  # - key: phuong-cu-vi-du
  #   name: "Phường ..."
  #   kind: ward
  #   valid_to: "2025-06-30"
  #   successors:
  #     - {{key: {slug}, share: part}}
  #     - {{name: "Phường ...", share: part}}

# ---- Cụm thi đua (optional): units that compete and review each other ----------------------
clusters:
  - key: cum-to-dan-pho-{year}
    name: "Cụm thi đua các tổ dân phố"             # ĐIỀN
    member_keys: [to-dan-pho-1]                    # ĐIỀN: the units' keys
    chief_key: to-dan-pho-1                        # Cụm trưởng, one of the members
    valid_from: "{year}-01-01"
    valid_to: "{year}-12-31"

# ---- Phong trào thi đua (optional): residents can tie a nomination to one -----------------
campaigns:
  - key: nguoi-tot-viec-tot-{year}
    title: "Phong trào “Người tốt, việc tốt” năm {year}"
    theme: good-deeds                              # a short name shared across years
    description: "Phát hiện, biểu dương kịp thời người tốt, việc tốt trên địa bàn phường."
    valid_from: "{year}-01-01"
    valid_to: "{year}-12-31"

# ---- The plan and its tasks (Phụ lục: tiến độ thực hiện) -----------------------------------
plan:
  key: {slug}-{year}
  number: "01/KH-HĐTĐKT"                          # ĐIỀN: the plan's number
  title: "Kế hoạch công tác thi đua, khen thưởng năm {year}"
  year: {year}
  issued_on: "{previous}-12-15"                    # ĐIỀN: the day it was signed
  council_key: hdtdkt-{slug}
  # Forms of commendation the council gives or proposes (ĐIỀN: the ward's own rules). Each:
  # who may propose it (officer: an officer of the case's unit; secretariat: the standing
  # office); the vote (threshold: share of ALL members who must agree, quorum: share of all
  # members present, written 0.8 or "2/3"); comment_days: working days the list is open for
  # public comment (0: none); simplified: the short procedure for sudden, clear deeds;
  # dossier: the documents a case needs before it goes to the council (generated: made by
  # the system). A case cannot be proposed while a document of its form is missing.
  award_forms:
    - key: giay-khen-chu-tich-phuong
      name: "Giấy khen của Chủ tịch UBND phường"
      proposers: [officer, secretariat]
      vote:
        required: true
        threshold: "2/3"                            # ĐIỀN
        quorum: "2/3"                               # ĐIỀN
      comment_days: 0                               # ĐIỀN
      dossier:
        - key: to-trinh
          name: "Tờ trình đề nghị khen thưởng"
          generated: true
        - key: bao-cao-thanh-tich
          name: "Báo cáo thành tích"
    - key: khen-thuong-dot-xuat
      name: "Giấy khen đột xuất (thủ tục đơn giản)"
      proposers: [officer, secretariat]
      vote:
        required: true
        threshold: 0.5                              # ĐIỀN
      simplified: true
      dossier:
        - key: tom-tat-thanh-tich
          name: "Tóm tắt thành tích"
  # Each task: number; quarter "I".."IV", or "regular" (nhiệm vụ thường xuyên); content as
  # the plan writes it; lead and coordinating: unit keys, or the groups ALL_UNITS (các đơn
  # vị thuộc phường), ALL_CLUSTERS (each cluster's chief), COUNCIL (the council, through its
  # standing office), RELATED_UNITS (decided case by case: nobody is reminded).
  # due: the "Thời gian thực hiện" exactly as the plan writes it. Understood today:
  #   "Trước ngày 15/01/{year}"                       before a fixed day
  #   "Hồ sơ gửi trước ngày 15/3/{year}"               a dossier due before a fixed day
  #   "Hồ sơ gửi trước 90 ngày dự kiến trao tặng"      days before an event entered later
  #   "Hồ sơ gửi trước 45 ngày dự kiến gắn biển"
  #   "Hàng tháng", "Hàng tháng, quý"                  monthly; monthly and quarterly
  #   "Các ngày làm việc trong tuần"                   continuous: no reminder
  # (more forms are coming; "ntvt plan check" says which texts it cannot read).
  tasks:
    - number: 1
      quarter: "I"
      content: "Đăng ký danh hiệu thi đua năm {year} gửi Văn phòng phường."   # ĐIỀN
      lead: [ALL_UNITS]
      coordinating: [van-phong]
      due: "Trước ngày 31/01/{year}"
    - number: 2
      quarter: "IV"
      content: "Xét khen thưởng tổng kết năm {year}."                          # ĐIỀN
      lead: [COUNCIL]
      coordinating: [van-phong]
      due: "Hồ sơ gửi trước ngày 30/11/{year}"
    - number: 3
      quarter: "regular"
      content: "Giới thiệu người tốt, việc tốt để phường biểu dương, khen thưởng."  # ĐIỀN
      lead: [ALL_UNITS]
      coordinating: [van-phong]
      due: "Hàng tháng"
    - number: 4
      quarter: "regular"
      content: "Đề nghị khen thưởng đột xuất."                                 # ĐIỀN
      lead: [COUNCIL]
      coordinating: [RELATED_UNITS]
      due: "Các ngày làm việc trong tuần"
"""
