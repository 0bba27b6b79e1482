"""Words of the desk's plan pages and files: broadcasts' states, failures' reasons, columns.

Marked here (``N_``) so that a page (through the ``label`` global) and a file say the same.
"""

from __future__ import annotations

from bot.desk.labels import REGISTRATION_COLUMN, STANDING_COLUMNS
from bot.rendering import N_

BROADCAST_STATES = {
    "scheduled": N_("Đã hẹn giờ"),
    "sending": N_("Đang gửi"),
    "done": N_("Đã gửi xong"),
    "cancelled": N_("Đã dừng"),
}
# Why a message never went (the outbox's failure), as an officer reads it.
FAILURE_REASONS = {
    "blocked": N_("Người nhận đã chặn hệ thống"),
    "outside_window": N_("Quá 7 ngày người nhận không nhắn (Zalo)"),
    "chat_not_found": N_("Không tìm thấy cuộc trò chuyện"),
    "chat_migrated": N_("Nhóm đã chuyển sang nhóm mới"),
    "gone": N_("Tài khoản không còn"),
    "bad_request": N_("Bị từ chối"),
    "expired": N_("Quá lâu không gửi được (mất kết nối)"),
    "network": N_("Lỗi mạng"),
    "unknown": N_("Không rõ lý do"),
}
CHANNELS = {"telegram": N_("Telegram"), "zalo": N_("Zalo")}

FAILURES_SHEET = N_("Không gửi được")
FAILURE_COLUMNS = (
    (N_("Mã cuộc trò chuyện"), 18),
    (N_("Kênh"), 12),
    (N_("Lý do"), 40),
    (N_("Lần gửi cuối"), 16),
)
# The quarter's workbook: its sheets and the columns that differ from the month's.
QUARTER_UNITS_SHEET = N_("Tiến độ theo đơn vị")
QUARTER_TASKS_SHEET = N_("Tiến độ theo nhiệm vụ")
QUARTER_CASES_SHEET = N_("Hồ sơ trong quý")
QUARTER_EXEMPLARS_SHEET = N_("Gương điển hình trong quý")
QUARTER_BROADCASTS_SHEET = N_("Thông báo trong quý")
QUARTER_UNIT_COLUMNS = (
    *STANDING_COLUMNS,
    (N_("Đề xuất trong quý"), 16),
    (N_("Chỉ tiêu quý"), 12),
    REGISTRATION_COLUMN,
)
QUARTER_EXEMPLAR_COLUMNS = (
    (N_("Đơn vị"), 30),
    (N_("Hồ sơ trong quý được khen thưởng"), 20),
)
BROADCAST_COLUMNS = (
    (N_("Số"), 8),
    (N_("Ngày gửi"), 14),
    (N_("Trạng thái"), 16),
    (N_("Người nhận"), 24),
    (N_("Nội dung"), 60),
    (N_("Đã gửi"), 10),
    (N_("Không gửi được"), 14),
    (N_("Chưa gửi"), 10),
    (N_("Tổng"), 10),
)
