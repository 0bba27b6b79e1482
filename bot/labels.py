"""Labels of buttons that name a workflow action (translated when rendered)."""

from __future__ import annotations

from bot.rendering import N_
from core.workflow import Action

ACTION_LABELS = {
    Action.VERIFY: N_("Tiếp nhận, xác minh"),
    Action.ASK_INFO: N_("Yêu cầu bổ sung"),
    Action.ANSWER_INFO: N_("Người đề cử đã bổ sung thông tin"),
    Action.PROPOSE: N_("Đề xuất lên Hội đồng"),
    Action.START_REVIEW: N_("Đưa ra Hội đồng xét"),
    Action.COMMEND: N_("Khen thưởng"),
    Action.DECLINE: N_("Không khen thưởng"),
    Action.REJECT: N_("Không tiếp nhận"),
    Action.WITHDRAW: N_("Rút đề cử"),
    Action.MERGE: N_("Gộp hồ sơ"),
}
ACTION_ICONS = {
    Action.VERIFY: "🔍",
    Action.ASK_INFO: "❓",
    Action.PROPOSE: "📤",
    Action.START_REVIEW: "🏛",
    Action.COMMEND: "🏅",
    Action.DECLINE: "➖",
    Action.REJECT: "⛔",
    Action.WITHDRAW: "↩️",
    Action.MERGE: "🔗",
}
# The button of a case's message that opens its dossier (bot.conversations.dossier).
DOSSIER_ATTACH = N_("📎 Nộp giấy tờ hồ sơ")
