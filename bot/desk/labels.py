"""Words of the desk's files (a table's headers, a state's name), translated when written.

The pages say the same through ``_labels.j2``; an export has no template, so its words are
marked here (the same message ids: one translation serves both).
"""

from __future__ import annotations

from bot.rendering import N_
from core.nomination import NomineeKind

STATUS_LABELS = {
    "submitted": N_("Đã tiếp nhận"),
    "verifying": N_("Đang xác minh"),
    "needs_info": N_("Cần bổ sung thông tin"),
    "proposed": N_("Đã đề xuất lên Hội đồng"),
    "under_review": N_("Hội đồng đang xét"),
    "commended": N_("Được khen thưởng"),
    "not_commended": N_("Chưa đủ điều kiện khen thưởng"),
    "rejected": N_("Không tiếp nhận"),
    "withdrawn": N_("Đã rút"),
    "merged": N_("Đã gộp vào đề cử khác"),
}
KIND_LABELS = {
    NomineeKind.INDIVIDUAL: N_("Cá nhân"),
    NomineeKind.COLLECTIVE: N_("Tập thể"),
}
# The queue's columns, in order, with each one's width in an Excel sheet (characters).
QUEUE_COLUMNS = (
    (N_("Mã đề cử"), 14),
    (N_("Người được đề cử"), 28),
    (N_("Cá nhân/Tập thể"), 14),
    (N_("Đơn vị"), 30),
    (N_("Trạng thái"), 26),
    (N_("Ngày việc tốt"), 14),
    (N_("Ngày gửi"), 14),
)
# The compliance tables' columns: per unit (the standing, the period's proposals against the
# quota, the registration), and per unit and task.
STANDING_COLUMNS = (
    (N_("Đơn vị"), 30),
    (N_("Đúng hạn"), 11),
    (N_("Trễ hạn"), 11),
    (N_("Quá hạn"), 11),
    (N_("Chưa đến hạn"), 14),
    (N_("Tỉ lệ đúng hạn (%)"), 16),
)
REGISTRATION_COLUMN = (N_("Đăng ký thi đua"), 16)
COMPLIANCE_UNIT_COLUMNS = (
    *STANDING_COLUMNS,
    (N_("Đề xuất trong tháng"), 16),
    (N_("Chỉ tiêu"), 10),
    REGISTRATION_COLUMN,
)
COMPLIANCE_TASK_COLUMNS = (
    (N_("Đơn vị"), 30),
    (N_("Nhiệm vụ số"), 12),
    (N_("Nội dung"), 60),
    (N_("Hạn"), 14),
    (N_("Đúng hạn"), 11),
    (N_("Trễ hạn"), 11),
    (N_("Quá hạn"), 11),
    (N_("Chưa đến hạn"), 14),
)
REGISTERED = N_("Đã đăng ký")
NOT_REGISTERED = N_("Chưa đăng ký")
