"""The words of a day's check-in sheet: its columns and the ways plants write symptoms, whereabouts
and yes/no (checkins/day_import.py reads them)."""

from __future__ import annotations

from .models import Where

COLUMNS = (
    "employee_no",
    "temperature",
    "symptoms",
    "where",
    "location",
    "visited",
    "contact",
    "note",
    "captured_at",
    "date",
    "time",
    "id",
)
ALIASES = {
    "工号": "employee_no",
    "员工编号": "employee_no",
    "体温": "temperature",
    "体温(℃)": "temperature",
    "体温（℃）": "temperature",
    "症状": "symptoms",
    "所在": "where",
    "状态": "where",
    "在岗状态": "where",
    "去向": "where",
    "当前位置": "location",
    "所在地": "location",
    "位置": "location",
    "到访地区": "visited",
    "14天内到访地区": "visited",
    "途经地区": "visited",
    "接触史": "contact",
    "接触": "contact",
    "密切接触": "contact",
    "备注": "note",
    "打卡时间": "captured_at",
    "采集时间": "captured_at",
    "测温时间": "captured_at",
    "日期": "date",
    "时间": "time",
    "编号": "id",
    "记录编号": "id",
}
# Chinese labels as plants write them; the translated labels of SYMPTOMS are accepted too.
SYMPTOM_WORDS = {
    "发热": "fever",
    "发烧": "fever",
    "咳嗽": "cough",
    "干咳": "cough",
    "乏力": "fatigue",
    "咽痛": "sore_throat",
    "咽喉痛": "sore_throat",
    "气短": "short_breath",
    "呼吸困难": "short_breath",
    "胸闷": "short_breath",
    "嗅觉丧失": "loss_of_smell",
    "味觉丧失": "loss_of_smell",
    "嗅觉味觉减退": "loss_of_smell",
    "腹泻": "diarrhea",
    "肌肉酸痛": "muscle_ache",
    "肌痛": "muscle_ache",
    "其他": "other",
    "其它": "other",
}
NO_SYMPTOMS = frozenset({"无", "没有", "none", "no", "-", "否"})
WHERE_WORDS = {
    "在岗": Where.ON_SITE,
    "居家办公": Where.REMOTE,
    "居家": Where.REMOTE,
    "请假": Where.LEAVE,
    "休假": Where.LEAVE,
    "隔离": Where.ISOLATED,
}
YES = frozenset({"是", "有", "yes", "y", "true", "1"})
NO = frozenset({"否", "无", "没有", "no", "n", "false", "0"})
