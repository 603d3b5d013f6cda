"""The words the demo pool is made of: places of the region (and of Guangzhou and
Shenzhen), trade names, people's names, firm-name endings per field or service, and the
kinds of project firms have done. Data only; :mod:`market.registry.demo_pool` draws from it.
"""

from __future__ import annotations

# -- places -------------------------------------------------------------------------------
# division code -> (streets, towns); a division missing here gets the generic ones, so
# another region's vocabulary still yields a pool.
STREETS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "440203": (
        ("沐溪大道", "惠民南路", "工业西路", "新华南路", "百旺路", "芙蓉大道"),
        ("西联镇", "龙归镇", "江湾镇"),
    ),
    "440204": (
        ("解放路", "风度北路", "东堤中路", "北江中路", "韶南大道", "南郊路"),
        ("十里亭镇", "犁市镇", "花坪镇"),
    ),
    "440205": (
        ("府前路", "韶钢大道", "曲江大道", "沿江路", "马坝大道"),
        ("马坝镇", "大塘镇", "樟市镇", "白土镇"),
    ),
    "440222": (("墨江路", "兴平路", "永安大道"), ("太平镇", "马市镇", "顿岗镇", "司前镇")),
    "440224": (("丹霞大道", "建设路", "环城路"), ("丹霞街道", "董塘镇", "周田镇", "长江镇")),
    "440229": (("建设二路", "环城路", "龙仙大道"), ("龙仙镇", "官渡镇", "周陂镇", "坝仔镇")),
    "440232": (("鹰峰路", "民族路", "城北路"), ("乳城镇", "桂头镇", "大桥镇", "必背镇")),
    "440233": (("人民路", "新丰大道", "丰城大道"), ("丰城街道", "马头镇", "梅坑镇", "遥田镇")),
    "440281": (("人民路", "公主路", "昌山路", "乐城大道"), ("乐城街道", "坪石镇", "北乡镇", "长来镇")),
    "440282": (("雄州大道", "永康路", "林荫路", "浈江路"), ("雄州街道", "珠玑镇", "乌迳镇", "湖口镇")),
}
GENERIC_STREETS = (("人民路", "建设路", "中山路", "解放路"), ("城关镇",))
# firms registered outside the region: (USCC region code, address prefix, firm-name prefix, streets)
ELSEWHERE: tuple[tuple[str, str, str, tuple[str, ...]], ...] = (
    ("440106", "广州市天河区", "广州市", ("天河路", "体育西路", "黄埔大道西", "天河北路")),
    ("440112", "广州市黄埔区", "广州市", ("科学大道", "开创大道", "香雪三路")),
    ("440305", "深圳市南山区", "深圳市", ("科技南十二路", "深南大道", "南海大道")),
    ("440307", "深圳市龙岗区", "深圳市", ("龙城大道", "龙翔大道", "布吉路")),
)
OUTSIDE_SHARE = 0.08
AREA_CODES = {"广州市": "020", "深圳市": "0755"}
LOCAL_AREA_CODE = "0751"


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


# -- names --------------------------------------------------------------------------------
TRADE_NAMES = _words(
    "粤北 丹霞 南岭 韶华 韶正 曲江 浈江 武江 北江 翁江 墨江 锦江 顺达 宏远 恒信 建安 华辰 鸿业 "
    "金鼎 瑞丰 正和 永兴 中诚 广信 盛世 天润 佳禾 鼎泰 嘉华 利源 汇通 宏达 信达 安泰 立信 诚信 "
    "华强 昌盛 兴业 隆兴 振华 明珠 金源 富源 丰泽 博远 德润 卓越 志成 东升 南华 鑫源 鸿基 华盛 "
    "荣达 新纪元 恒基 建丰 腾达 聚力 广厦 城建 远大 宏图 中天 海天 长青 凯达 骏业 联丰 万通 "
    "金丰 辉煌 众诚 弘毅 智诚 精诚 同创 中建 欣荣 誉达 福源 顺景 银河 泰和 天成 晟泰 源通 "
    "韶能 新锐 九龄 风度 珠玑 梅岭 云门 车八 帽子峰 五指山 莲花 马坝 狮岩 芙蓉 帽峰 桂山 乐昌 "
    "雄州 仁丰 翁丰 乳桂 丰城 南雄 金霞 碧桂 三江"
)
SURNAMES = _words(
    "陈 黄 李 张 梁 林 刘 吴 罗 何 郑 谢 邓 曾 冯 叶 钟 朱 邱 温 廖 赖 丘 杨 周 徐 许 王 欧阳 "
    "蔡 彭 胡 潘 肖 卢 刘 陈 黄 李 张 邝 华 范 官 凌 骆 严 汤 袁 余 江 谭 龚 古 侯 唐 韦 莫"
)
GIVEN = _words(
    "伟 强 军 勇 杰 涛 明 超 斌 辉 华 平 刚 鹏 俊 峰 建国 志强 国强 永红 海燕 丽娟 秀英 桂芳 "
    "文杰 家明 嘉欣 子豪 浩然 晓东 晓玲 小龙 德华 锦荣 振宇 伟雄 国华 少华 丽萍 惠珍 美玲 "
    "日新 汉文 耀祖 坤 敏 静 婷 琳 芳 霞 燕 晖 亮 锋 彬 鑫 磊 洪 林 森 帆"
)
# field or service -> firm-name endings
CONTRACTOR_ENDINGS = {
    "housing_municipal": ("建筑工程", "建设工程", "市政工程", "建工", "建筑安装工程", "城建工程", "市政建设"),
    "transport": ("路桥", "路桥建设", "公路工程", "交通建设工程", "路桥工程"),
    "water": ("水利水电", "水利水电工程", "水利建设", "水电安装工程", "水务工程"),
    "energy": ("电力安装", "电力工程", "机电安装工程", "输变电工程", "电气安装工程"),
}
INTERMEDIARY_ENDINGS = {
    "cost_consulting": ("工程造价咨询", "工程咨询", "建设工程造价咨询"),
    "supervision": ("工程监理", "建设监理", "工程项目管理"),
    "geotechnical": ("岩土工程勘察", "地质勘察", "工程勘察"),
    "planning_design": ("建筑设计", "规划设计", "建筑设计院", "城乡规划设计"),
    "surveying": ("测绘", "地理信息", "测绘技术"),
    "eia": ("环境科技", "环保咨询", "环境技术"),
    "asset_appraisal": ("资产评估", "资产评估事务所"),
    "land_appraisal": ("土地房地产评估", "土地估价"),
    "accounting_audit": ("会计师事务所",),
    "legal": ("律师事务所",),
    "safety_assessment": ("安全技术咨询", "安全评价"),
    "energy_assessment": ("节能技术", "节能服务"),
    "soil_water_conservation": ("水土保持技术咨询", "生态环境咨询"),
    "tendering_agency": ("招标代理", "项目管理咨询"),
    "real_estate_appraisal": ("房地产估价", "房地产土地评估"),
}
CONTRACTOR_FIELD_WEIGHTS = {"housing_municipal": 50, "transport": 20, "water": 15, "energy": 15}
# services a firm often offers together with its main one
RELATED_SERVICES = {
    "cost_consulting": ("tendering_agency", "supervision"),
    "supervision": ("cost_consulting",),
    "geotechnical": ("surveying",),
    "planning_design": ("surveying",),
    "eia": ("soil_water_conservation", "energy_assessment", "safety_assessment"),
    "asset_appraisal": ("land_appraisal", "real_estate_appraisal"),
    "land_appraisal": ("real_estate_appraisal",),
    "real_estate_appraisal": ("land_appraisal",),
    "tendering_agency": ("cost_consulting",),
}

# -- projects -----------------------------------------------------------------------------
PROJECTS = {
    "housing_municipal": (
        "{t}中心小学教学楼维修改造工程",
        "{t}卫生院门诊楼改造工程",
        "{t}老旧小区改造工程",
        "{t}道路升级改造工程",
        "{t}雨污分流管网工程",
        "{t}文化活动中心建设工程",
    ),
    "transport": (
        "{t}村道硬底化工程",
        "{t}县道路面修复工程",
        "{t}危桥加固改造工程",
        "{t}公路安全生命防护工程",
    ),
    "water": (
        "{t}河堤加固工程",
        "{t}山塘除险加固工程",
        "{t}农田灌溉渠道改造工程",
        "{t}农村饮水安全巩固提升工程",
    ),
    "energy": ("{t}10kV线路改造工程", "{t}路灯照明工程", "{t}配电房增容改造工程", "{t}光伏发电安装工程"),
}
# who commissions such a project
OWNER_BODIES = {
    "housing_municipal": ("住房和城乡建设管理局", "教育局", "卫生健康局", "城市管理和综合执法局"),
    "transport": ("交通运输局", "公路事务中心"),
    "water": ("水务局", "农业农村局"),
    "energy": ("城市管理和综合执法局", "发展和改革局", "住房和城乡建设管理局"),
}

# -- licences -----------------------------------------------------------------------------
PROVINCE_HOUSING = "广东省住房和城乡建设厅"
MINISTRY_HOUSING = "中华人民共和国住房和城乡建设部"
# 建筑业企业资质证书: D + issuing level (1 ministry, 2 province, 3 city) + region + serial
CONSTRUCTION_FORMS = {
    "ministry": ("D1{s8}", MINISTRY_HOUSING),
    "province": ("D244{s6}", PROVINCE_HOUSING),
    "city": ("D3{city}{s4}", "{city_name}住房和城乡建设局"),
}
# other licence types: (certificate-number pattern, issuer, years of validity). Patterns take
# g (first character of the grade), year, yy, city (4 digits), city2 and serials s3/s4/s6.
LICENCE_FORMS: dict[str, tuple[str, str, int]] = {
    "safety_permit": ("(粤)JZ安许证字[{year}]{city2}{s4}", PROVINCE_HOUSING, 3),
    "cost_consulting_cert": ("{g}{yy}{city}{s4}", PROVINCE_HOUSING, 5),
    "supervision_cert": ("E244{s6}", PROVINCE_HOUSING, 5),
    "geotechnical_cert": ("B244{s6}", PROVINCE_HOUSING, 5),
    "design_cert": ("A244{s6}", PROVINCE_HOUSING, 5),
    "planning_cert": ("自资规{g}字{yy}44{s4}", "广东省自然资源厅", 5),
    "surveying_cert": ("{g}测资字{city}{s4}", "广东省自然资源厅", 5),
    "eia_cert": ("HP{city}{s6}", "中华人民共和国生态环境部", 5),
    "asset_appraisal_cert": ("粤财资评备〔{year}〕{s3}号", "广东省财政厅", 5),
    "land_appraisal_cert": ("{year}44{s4}", "广东省自然资源厅", 5),
    "real_estate_appraisal_cert": ("粤房估备字[{year}]{s4}号", PROVINCE_HOUSING, 3),
    "accounting_cert": ("{city}{s4}", "广东省财政厅", 5),
    "law_firm_cert": ("3{city}0000{s6}", "广东省司法厅", 5),
    "safety_assessment_cert": ("APJ-(粤)-{s3}", "广东省应急管理厅", 5),
    "soil_water_cert": ("水保方案(粤)字第{s4}号", "中国水土保持学会", 3),
    "energy_assessment_cert": ("粤节评备{s6}", "广东省发展和改革委员会", 5),
    "tendering_agency_record": ("粤招代登{s6}", PROVINCE_HOUSING, 5),
}
GENERIC_FORM = ("ZZ{s6}", PROVINCE_HOUSING, 5)
# the top grade of these is issued nationally
NATIONAL_GRADES = {("surveying_cert", "甲级"): "中华人民共和国自然资源部"}
