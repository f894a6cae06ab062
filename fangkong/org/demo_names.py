"""Names for the synthetic group: segments and their industries, places, people, phone prefixes."""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Segment:
    name: str
    enterprises: int
    industries: tuple[str, ...]
    workshops: tuple[str, ...]  # named departments, used first
    numbered: str  # noun for further numbered ones: "第三" + noun


SEGMENTS = (
    Segment(
        "能源板块",
        90,
        ("电力", "热电", "新能源", "风电", "光伏发电", "煤业", "燃气", "水电开发", "储能科技"),
        ("发电运行部", "设备检修部", "燃料管理部", "化学车间", "输煤车间", "安全环保部"),
        "工区",
    ),
    Segment(
        "建筑工程板块",
        95,
        ("建设工程", "路桥建设", "市政工程", "建筑安装", "装饰工程", "水利水电工程", "隧道工程"),
        ("工程管理部", "物资设备部", "质量安全部", "综合办公室"),
        "项目部",
    ),
    Segment(
        "装备制造板块",
        80,
        ("重型机械", "机床", "电气设备", "汽车零部件", "轨道交通装备", "液压件", "精密制造", "环保设备"),
        ("金工车间", "装配车间", "铸造车间", "热处理车间", "机加车间", "总装车间"),
        "车间",
    ),
    Segment(
        "化工材料板块",
        60,
        ("化工", "新材料", "精细化工", "化肥", "橡胶制品", "涂料", "碳素"),
        ("合成车间", "精馏车间", "包装车间", "动力车间", "质检中心"),
        "车间",
    ),
    Segment(
        "交通物流板块",
        55,
        ("物流", "港务", "运输", "供应链管理", "冷链物流", "航运", "高速公路运营"),
        ("调度中心", "车队", "仓储中心", "装卸作业区", "维修车间"),
        "作业区",
    ),
    Segment(
        "地产置业板块",
        40,
        ("置业", "房地产开发", "物业管理", "城市更新", "商业管理"),
        ("工程管理部", "营销中心", "物业服务中心", "综合办公室"),
        "项目部",
    ),
    Segment(
        "金融投资板块",
        20,
        ("投资", "融资租赁", "商业保理", "资产管理", "产业基金管理"),
        ("综合管理部", "风险管理部", "财务部"),
        "业务部",
    ),
    Segment(
        "科技信息板块",
        35,
        ("信息技术", "软件", "数据科技", "智能科技", "通信技术", "网络安全"),
        ("研发中心", "交付中心", "运维中心", "市场部"),
        "事业部",
    ),
    Segment(
        "商贸服务板块",
        45,
        ("商贸", "国际贸易", "酒店管理", "餐饮管理", "医药", "供销"),
        ("采购部", "配送中心", "客服中心", "门店运营部"),
        "门店",
    ),
    Segment(
        "境外业务板块",
        28,
        ("国际工程", "海外投资", "国际贸易", "对外经济合作"),
        ("项目经理部", "营地管理部", "后勤保障部", "施工队"),
        "工区",
    ),
)

# Enterprises abroad (all in the last segment): ISO country, its zone, an industry.
OVERSEAS = (
    ("PK", "Asia/Karachi", "电力投资"),
    ("ET", "Africa/Addis_Ababa", "国际工程"),
    ("ID", "Asia/Jakarta", "镍业"),
    ("KZ", "Asia/Almaty", "能源开发"),
    ("SA", "Asia/Riyadh", "石化工程"),
    ("NG", "Africa/Lagos", "铁路建设"),
    ("MY", "Asia/Kuala_Lumpur", "港口运营"),
    ("KE", "Africa/Nairobi", "路桥建设"),
    ("RS", "Europe/Belgrade", "钢铁"),
    ("LA", "Asia/Vientiane", "水电开发"),
)

# Relative weights of provinces (first two digits of the code) when placing enterprises.
PROVINCE_WEIGHTS = {
    "32": 9,
    "44": 9,
    "37": 8,
    "33": 7,
    "41": 6,
    "51": 5,
    "42": 5,
    "13": 5,
    "43": 4,
    "34": 4,
    "31": 4,
    "21": 4,
    "35": 4,
    "61": 4,
    "11": 3,
    "12": 3,
    "14": 3,
    "50": 3,
    "36": 3,
    "22": 2,
    "23": 2,
    "15": 2,
    "45": 2,
    "52": 2,
    "53": 2,
    "62": 1.5,
    "65": 1.5,
    "64": 1,
    "63": 0.7,
    "46": 0.7,
    "54": 0.3,
}

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"  # noqa: E501
SURNAME_CUM = list(itertools.accumulate(1.0 / (i + 8) for i in range(len(SURNAMES))))
GIVEN_MALE = "伟刚勇毅俊峰强军平保东文辉力明永健世广志义兴良海山仁波宁贵福生龙元全国胜学祥才发武新利清飞彬富顺信子杰涛昌成康星光天达安岩中茂进林有坚和彪博诚先敬震振壮会思群豪心邦承乐绍功松善厚庆磊民友裕河哲江超浩亮政谦亨奇固之轮翰朗伯宏言若鸣朋斌梁栋维启克伦翔旭鹏泽晨辰士以建家致树炎德行时泰盛雄琛钧冠策腾楠榕风航弘"  # noqa: E501
GIVEN_FEMALE = "秀娟英华慧巧美娜静淑惠珠翠雅芝玉萍红娥玲芬芳燕彩春菊兰凤洁梅琳素云莲真环雪荣爱妹霞香月莺媛艳瑞凡佳嘉琼勤珍贞莉桂娣叶璧璐娅琦晶妍茜秋珊莎锦黛青倩婷姣婉娴瑾颖露瑶怡婵雁蓓纨仪荷丹蓉眉君琴蕊薇菁梦岚苑婕馨瑗琰韵融园艺咏卿聪澜纯毓悦昭冰爽琬茗羽希宁欣飘育滢馥筠柔竹霭凝晓欢霄枫芸菲寒伊亚宜可姬舒影荔枝思丽"  # noqa: E501
MOBILE_PREFIXES = (
    "130",
    "131",
    "132",
    "133",
    "134",
    "135",
    "136",
    "137",
    "138",
    "139",
    "150",
    "151",
    "152",
    "153",
    "155",
    "156",
    "157",
    "158",
    "159",
    "166",
    "173",
    "177",
    "180",
    "181",
    "182",
    "183",
    "185",
    "186",
    "187",
    "188",
    "189",
    "191",
    "198",
    "199",
)

# ID numbers: birth dates 1965-01-01..2002-12-31 × 1000 sequence numbers per area code. Person j of an
# area gets slot (j * ID_STEP + offset) mod ID_SPACE, a bijection, so numbers are unique without a set.


_CN_DIGITS = "零一二三四五六七八九"


def cn_number(n: int) -> str:
    """1..999 in Chinese numerals (十, 十二, 二十, 一百零五)."""
    hundreds, rest = divmod(n, 100)
    tens, ones = divmod(rest, 10)
    text = _CN_DIGITS[hundreds] + "百" if hundreds else ""
    if tens:
        text += ("" if tens == 1 and not hundreds else _CN_DIGITS[tens]) + "十"
    elif hundreds and ones:
        text += "零"
    return text + (_CN_DIGITS[ones] if ones else "")


_ETHNIC = re.compile(
    "(?:{})+$".format(
        "|".join(
            sorted(
                [
                    f"{n}族"
                    for n in "满 蒙古 回 达斡尔 鄂温克 朝鲜 畲 土家 苗 瑶 侗 壮 各 仫佬 毛南 黎 羌 彝 藏 "
                    "仡佬 布依 水 傣 哈尼 纳西 拉祜 佤 布朗 白 景颇 傈僳 独龙 怒 普米 裕固 哈萨克 "
                    "保安 东乡 撒拉 土 维吾尔 塔吉克 锡伯".split()
                ]
                + ["蒙古", "哈萨克", "柯尔克孜", "维吾尔", "塔吉克", "锡伯", "鄂伦春"],
                key=len,
                reverse=True,
            )
        )
    )
)


def short_place(name: str) -> str:
    """武汉市 → 武汉, 黔西南布依族苗族自治州 → 黔西南, 广西壮族自治区 → 广西, 阿克苏地区 → 阿克苏."""
    if name.startswith("内蒙古"):
        return "内蒙古"
    if "自治" in name:
        prefix = name[: name.index("自治")]
        return _ETHNIC.sub("", prefix) or prefix.removesuffix("族")
    for suffix in ("地区", "省", "市", "盟", "区", "县", "旗"):
        if name.endswith(suffix) and len(name) > len(suffix) + 1:
            return name[: -len(suffix)]
    return name
