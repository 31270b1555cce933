"""The Chinese word tables: commands, politeness, and the edits people ask for most, each read into the
English phrase with the same meaning, so a Chinese request reaches CLIP (and the router's mappers) with the
very targets of its English twin ("微笑" → "smile" → "smiling face").

CLIP ViT-B/32 reads English only: Chinese outside these tables is never sent to it as it is.
"""

from __future__ import annotations

from bot.dialog import phrases

# Stripped from the start / end of a message (no spaces in Chinese: plain prefixes and suffixes), repeatedly.
POLITE_LEADING = ("请你", "请帮我", "请", "麻烦你", "麻烦", "帮我", "帮忙", "能不能", "能否", "可不可以", "可以",
                  "你能", "你可以", "我想要", "我想让", "我想", "我要", "给我", "嗨", "你好", "您好", "嘿", "机器人")
POLITE_TRAILING = ("谢谢你", "谢谢", "多谢", "好吗", "好不好", "可以吗", "行吗", "吧", "呀", "啊", "呢", "哦", "嘛",
                   "吗", "了", "一下下", "一下")

# Whole messages that are commands (after normalisation), by kind as in `phrases.COMMAND_PHRASES`.
_COMMANDS = {
    "undo": ("撤销", "撤消", "撤回", "后退", "返回", "回退", "退回", "上一步", "退一步", "返回上一步", "撤销上一步",
             "撤销这一步", "撤销刚才的", "不要这个", "算了", "还原上一步"),
    "redo": ("重做", "恢复", "前进", "下一步", "撤销撤销", "恢复刚才的"),
    "reset": ("重新开始", "从头开始", "重来", "重置", "恢复原图", "回到原图", "原图", "清除", "全部撤销", "撤销全部",
              "撤销所有", "还原"),
    "history": ("历史", "历史记录", "查看历史", "看看历史", "步骤", "记录", "我做了什么", "改了什么"),
    "compare": ("对比", "比较", "前后对比", "对比一下", "对比原图", "和原图对比", "看原图", "原图对比"),
    "help": ("帮助", "你能做什么", "你会什么", "怎么用", "使用说明", "说明", "菜单", "命令", "你好", "您好", "嗨"),
    "privacy": ("隐私", "隐私政策", "你存了什么", "你保存了什么", "你会保存我的照片吗", "你保存什么"),
    "forget": ("忘记我", "忘掉我", "删除我的数据", "删除我的资料", "删除所有数据", "删除全部数据", "删掉我的数据"),
    "forget_confirm": ("确认删除", "确定删除", "是的删除", "确认忘记我", "确定忘记我"),
    "thanks": ("谢谢", "谢谢你", "多谢", "感谢", "好的", "太棒了", "不错", "很好", "真好", "完美", "厉害", "我喜欢",
               "喜欢"),
    "more": ("更多", "再来点", "再来一点", "再多一点", "多一点", "多点", "更强", "加强", "强一点", "再强一点", "还不够",
             "不够", "再来", "再来一次", "更明显", "明显一点", "再明显一点"),
    "more_bit": ("稍微多一点", "再多一点点", "多一点点", "稍微强一点", "稍微再来点"),
    "more_much": ("多很多", "强很多", "再多很多", "加倍", "翻倍", "两倍"),
    "less": ("少一点", "少点", "弱一点", "减弱", "太多了", "太多", "太过了", "太强了", "淡一点", "轻一点", "少些",
             "别那么多"),
    "less_bit": ("稍微少一点", "少一点点", "稍微弱一点"),
    "less_much": ("少很多", "弱很多", "减半", "一半"),
    "cancel": ("取消", "停止", "停下", "别做了"),
}
COMMAND_PHRASES = {phrase: kind for kind, listed in _COMMANDS.items() for phrase in listed}

# Drop an earlier edit: "撤销胡子", "取消眼镜", "去掉胡子那一步" (a plain "去掉胡子" is an edit, as "remove the beard").
DROP_VERBS = ("撤销", "撤消", "撤回", "取消", "去掉", "删掉", "删除", "不要")
DROP_ALWAYS = ("撤销", "撤消", "撤回", "取消")          # these name an edit even without "那一步"
DROP_SUFFIXES = ("那一步", "这一步", "那步", "这步", "的编辑", "那个编辑", "编辑", "的效果", "效果", "的修改",
                 "修改")

# Unsafe requests, matched anywhere in the message (Chinese has no spaces between words).
UNSAFE = ("裸体", "裸照", "全裸", "半裸", "赤裸", "脱光", "脱衣", "色情", "性感", "血腥", "流血", "鲜血", "尸体",
          "斩首")

# Prefixes of an edit request, peeled off in any order: who is edited, how strongly, and what is done.
OBJECTS = ("一个", "一副", "一顶", "一对", "个",
           "让他", "让她", "让它", "让我", "让", "把他的", "把她的", "把它的", "把我的", "把他", "把她", "把它", "把",
           "给他", "给她", "给它", "给我", "给", "使他", "使她", "使", "帮他", "帮她", "他的", "她的", "我的", "他",
           "她", "它", "我")
STRENGTH_PREFIXES: dict[str, float | None] = {
    "稍微": phrases.WEAK, "稍稍": phrases.WEAK, "略微": phrases.WEAK, "微微": phrases.WEAK, "有点儿": phrases.WEAK,
    "有点": phrases.WEAK, "有一点": phrases.WEAK, "一点点": phrases.WEAK,
    "很": phrases.STRONG, "非常": phrases.STRONG, "十分": phrases.STRONG, "特别": phrases.STRONG,
    "相当": phrases.STRONG, "超级": phrases.VERY_STRONG, "超": phrases.VERY_STRONG, "极其": phrases.VERY_STRONG,
    "极度": phrases.VERY_STRONG, "更加": None, "更": None, "再": None,     # "更可爱": "cuter", no strength word
}
STRENGTH_SUFFIXES: dict[str, float | None] = {
    "一点点": phrases.WEAK, "一点儿": phrases.WEAK, "一点": phrases.WEAK, "一些": phrases.WEAK, "点儿": phrases.WEAK,
    "点": phrases.WEAK, "些": phrases.WEAK, "很多": phrases.STRONG, "得多": phrases.STRONG, "多了": phrases.STRONG,
    "极了": phrases.STRONG,
}
VERBS: dict[str, str] = {
    **dict.fromkeys(("加上", "加个", "加", "添加", "添上", "戴上", "戴个", "戴", "带上", "带", "配上", "留个", "留上",
                     "留", "长出", "长", "画上", "画", "来个", "给个", "有", "染成", "染个", "染", "换个",
                     "涂上", "涂", "抹上", "抹"), "add"),
    **dict.fromkeys(("去掉", "去除", "拿掉", "摘掉", "摘下", "删掉", "删除", "除掉", "剃掉", "刮掉", "卸掉", "脱掉",
                     "取下", "不要", "没有", "不戴", "别戴", "别", "不", "无"), "remove"),
    **dict.fromkeys(("变得", "变成", "变为", "变身成", "变身", "变", "弄得", "弄成", "搞成", "看起来像", "看起来",
                     "看上去像", "看上去", "显得", "长得像", "像", "成为", "换成"), "become"),
    **dict.fromkeys(("不那么", "没那么", "别那么", "少点", "少一点"), "less"),
    **dict.fromkeys(("多点", "多一点", "更多"), "more"),
}
# Verbs after the thing ("把眼镜摘掉"), peeled off the end.
VERB_SUFFIXES = {token: "remove" for token in ("摘掉", "摘下", "去掉", "拿掉", "删掉", "去除", "卸掉", "剃掉", "刮掉")}
DYE_VERBS = ("染成", "染个", "染", "换个", "换成", "变成", "变")

# Things and their English words, by how the English frames read them:
# adjective ("cute face"), expression ("smiling face"), noun ("face with a beard"), hairstyle (mapper texts),
# celebrity (mapper texts), phrase (a whole English request with a fixed meaning).
ADJECTIVES = {
    "可爱": "cute", "萌": "cute", "老": "old", "苍老": "old", "年老": "old", "年轻": "young", "年轻化": "young",
    "开心": "happy", "高兴": "happy", "快乐": "happy", "伤心": "sad", "难过": "sad", "悲伤": "sad", "不开心": "sad",
    "生气": "angry", "愤怒": "angry", "惊讶": "surprised", "吃惊": "surprised", "震惊": "surprised", "漂亮": "pretty",
    "美": "pretty", "美丽": "beautiful", "帅": "handsome", "帅气": "handsome", "英俊": "handsome", "丑": "ugly",
    "吓人": "scary", "恐怖": "scary", "严肃": "serious", "瘦": "thin", "胖": "fat", "苍白": "pale", "黑": "tanned",
    "晒黑": "tanned", "阳刚": "masculine", "男性化": "masculine", "女性化": "feminine", "有女人味": "feminine",
    "疲惫": "tired", "累": "tired", "平静": "calm", "友善": "friendly", "友好": "friendly", "邪恶": "evil",
    "困": "sleepy", "自信": "confident", "无聊": "bored", "害怕": "scared", "秃": "bald", "秃头": "bald",
    "光头": "bald", "男": "male", "男人": "male", "男性": "male", "女": "female", "女人": "female", "女性": "female",
}
EXPRESSIONS = {
    "微笑": "smile", "笑": "smile", "笑一笑": "smile", "笑笑": "smile", "露出微笑": "smile", "大笑": "laugh",
    "哈哈大笑": "laugh", "哭": "cry", "皱眉": "frown", "皱眉头": "frown", "眨眼": "wink", "眨眼睛": "wink",
    "咧嘴笑": "grin", "噘嘴": "pout", "坏笑": "smirk", "假笑": "smirk",
}
NOUNS = {
    "胡子": "beard", "胡须": "beard", "大胡子": "beard", "络腮胡": "beard", "小胡子": "mustache", "八字胡": "mustache",
    "山羊胡": "goatee", "胡茬": "stubble", "眼镜": "glasses", "墨镜": "sunglasses", "太阳镜": "sunglasses",
    "妆": "makeup", "妆容": "makeup", "化妆": "makeup", "彩妆": "makeup", "口红": "lipstick", "眼线": "eyeliner",
    "眼影": "eyeshadow", "睫毛膏": "mascara", "腮红": "blush", "帽子": "hat", "鸭舌帽": "cap", "棒球帽": "cap",
    "耳环": "earrings", "雀斑": "freckles", "纹身": "tattoo", "刺青": "tattoo", "鼻环": "piercing", "皱纹": "wrinkles",
    "刘海": "bangs", "鬓角": "sideburns", "伤疤": "scar", "疤": "scar", "皇冠": "crown", "发带": "headband",
    "头带": "headband", "口罩": "mask", "面具": "mask", "眉毛": "eyebrows", "浓眉": "bushy eyebrows", "酒窝": "dimples",
    "痘痘": "acne", "青春痘": "acne", "痣": "mole", "领结": "bow tie", "领带": "tie", "项链": "necklace",
    "头盔": "helmet", "头巾": "headscarf", "面纱": "veil", "头发": "hair",
}
HAIRSTYLES = {
    "莫西干": "mohawk", "莫西干头": "mohawk", "莫霍克": "mohawk", "鸡冠头": "mohawk", "爆炸头": "afro",
    "非洲爆炸头": "afro", "波波头": "bob cut", "鲍勃头": "bob cut", "锅盖头": "bowl cut", "蘑菇头": "bowl cut",
    "寸头": "buzz cut", "平头": "crew cut", "板寸": "crew cut", "精灵短发": "pixie cut", "鲻鱼头": "mullet",
    "马尾": "ponytail", "马尾辫": "ponytail", "脏辫": "dreadlocks", "丸子头": "bun", "发髻": "bun",
    "双马尾": "pigtails", "辫子": "braids", "麻花辫": "braids", "玉米辫": "cornrows", "削边头": "undercut",
}
CELEBRITIES = {
    "碧昂丝": "beyonce", "碧昂斯": "beyonce", "约翰尼德普": "johnny depp", "强尼德普": "johnny depp",
    "德普": "johnny depp", "希拉里": "hillary clinton", "希拉里克林顿": "hillary clinton",
    "泰勒斯威夫特": "taylor swift", "霉霉": "taylor swift",
    "特朗普": "donald trump", "川普": "donald trump", "唐纳德特朗普": "donald trump", "扎克伯格": "mark zuckerberg",
    "马克扎克伯格": "mark zuckerberg", "小扎": "mark zuckerberg",
}
SET_PHRASES = {
    "变老": "older", "变年轻": "younger", "返老还童": "younger", "卸妆": "remove makeup", "素颜": "remove makeup",
    "化浓妆": "add makeup", "上妆": "add makeup", "刮胡子": "shave", "剃胡子": "shave", "剃须": "shave",
    "剃光头": "shave his head", "闭眼": "close eyes", "闭上眼睛": "close eyes", "闭眼睛": "close eyes",
    "睁眼": "open eyes", "睁开眼睛": "open eyes", "张嘴": "open mouth", "张开嘴": "open mouth", "性转": "gender swap",
    "变性": "gender swap",
}

# Words after a hairstyle's name that change nothing ("莫西干发型").
HAIRSTYLE_SUFFIXES = ("发型", "头")

# Hair: "紫色头发", "紫发", "头发变紫", "把头发染成紫色", "卷发", "长发". Words describing hair, longest read first.
HAIR_WORDS = {
    "紫色": "purple", "紫": "purple", "粉红色": "pink", "粉红": "pink", "粉色": "pink", "粉": "pink",
    "金色": "blonde", "金黄色": "blonde", "金": "blonde", "黄色": "blonde", "黄": "blonde", "红色": "red", "红": "red",
    "黑色": "black", "黑": "black", "白色": "white", "白": "white", "灰色": "grey", "灰": "grey", "银色": "silver",
    "银": "silver", "蓝色": "blue", "蓝": "blue", "绿色": "green", "绿": "green", "棕色": "brown", "棕": "brown",
    "褐色": "brown", "咖啡色": "brown", "橙色": "orange", "橙": "orange", "彩虹色": "rainbow", "彩色": "colorful",
    "卷曲": "curly", "自然卷": "curly", "卷": "curly", "直": "straight", "顺直": "straight", "长": "long",
    "短": "short", "波浪": "wavy", "大波浪": "wavy", "凌乱": "messy", "乱": "messy",
}
EYE_WORDS = {"蓝色": "blue", "蓝": "blue", "绿色": "green", "绿": "green", "棕色": "brown", "棕": "brown",
             "褐色": "brown", "大": "big"}
FACE_PARTS = {"鼻子": "nose", "嘴唇": "lips", "嘴巴": "mouth", "嘴": "mouth", "耳朵": "ears", "皮肤": "skin",
              "脸颊": "cheeks", "下巴": "chin", "额头": "forehead", "牙齿": "teeth"}
PART_WORDS = {"大": "big", "小": "small", "红": "red", "白": "white", "黑": "dark", "粗": "thick", "细": "thin",
              "厚": "thick", "薄": "thin", "长": "long", "短": "short"}
