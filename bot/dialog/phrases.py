"""The word tables the parser reads: commands, politeness, strengths, and the vocabulary of faces.

Targets follow StyleCLIP's phrasing ("smiling face" against "face"; "face with blonde hair" against
"face with hair"); named hairstyles use the released mappers' training texts ("mohawk hairstyle") so that
the router can match them by name.
"""

from __future__ import annotations

from bot.i18n import N_

MAX_LENGTH = 300            # characters; longer messages are refused, not truncated

# Factors for "more" / "less": a bit < plain < much.
MORE, MORE_BIT, MORE_MUCH = 1.5, 1.25, 2.0
MAX_FACTOR = 4.0            # "more x10" is clamped to this
MIN_FACTOR = 1.1            # "more x1" is clamped up to this

# Strength words for edits ("slightly older", "much cuter").
WEAK, STRONG, VERY_STRONG = 0.5, 1.5, 2.0
STRENGTH_WORDS: dict[str, float] = {
    "a tiny bit": WEAK, "a little bit": WEAK, "a little": WEAK, "a bit": WEAK, "slightly": WEAK, "somewhat": WEAK,
    "a touch": WEAK, "subtly": WEAK, "a tad": WEAK, "kinda": WEAK, "kind of": WEAK,
    "very": STRONG, "much": STRONG, "really": STRONG, "a lot": STRONG, "way": STRONG, "far": STRONG,
    "very very": VERY_STRONG, "extremely": VERY_STRONG, "super": VERY_STRONG, "hugely": VERY_STRONG,
    "totally": VERY_STRONG, "completely": VERY_STRONG,
}

# Stripped from the start / end of a message, whole words only, repeatedly.
POLITE_LEADING = (
    "please", "pls", "plz", "can you", "could you", "would you", "will you", "can u", "could u", "would you mind",
    "hey", "hi", "hello", "ok", "okay", "now", "and", "also", "then", "bot", "i want you to", "i want to",
    "i would like you to", "i would like to", "i'd like you to", "i'd like to", "i want", "i'd like", "let's",
    "lets", "try to", "just", "go ahead and", "kindly", "maybe", "so",
)
POLITE_TRAILING = (
    "please", "pls", "plz", "thanks", "thank you", "thx", "ty", "for me", "now", "if you can", "if possible",
    "thanks a lot", "thank you very much", "again",
)

# Whole messages (after normalisation) that are commands. Matched exactly, so "undo the beard" is not "undo".
COMMAND_PHRASES: dict[str, str] = {}
_COMMANDS = {
    "undo": ("undo", "go back", "back", "undo that", "undo it", "undo last", "undo the last edit", "undo last edit",
             "revert", "revert that", "oops", "previous", "take that back", "take it back", "cancel that",
             "step back", "one step back", "ctrl z", "ctrl+z", "not that", "no undo"),
    "redo": ("redo", "redo that", "go forward", "forward", "bring it back", "undo the undo", "put it back",
             "step forward", "ctrl y", "ctrl+y"),
    "reset": ("reset", "start over", "start again", "restart", "from scratch", "back to the original",
              "go back to the original", "back to original", "original photo", "clear", "clear all",
              "remove all edits", "undo everything", "undo all", "reset all", "start from scratch"),
    "history": ("history", "show history", "show the history", "show me the history", "show me history",
                "what did i do", "what have i done", "steps", "show steps", "show the steps", "list edits",
                "edits", "my edits", "show edits", "show my edits"),
    "compare": ("compare", "before and after", "before/after", "before after", "side by side", "show the original",
                "show me the original", "show original", "compare with the original", "compare to the original"),
    "help": ("help", "help me", "what can you do", "commands", "how does this work", "how does it work",
             "what can i say", "what can i do", "options", "menu", "?", "info", "hello", "hi", "hey"),
    "privacy": ("privacy", "what do you store", "what do you keep", "privacy policy", "what data do you keep",
                "what data do you store", "do you keep my photos", "do you store my photos"),
    "forget": ("forget me", "forget", "delete my data", "delete everything", "erase my data", "delete all my data",
               "forget everything", "delete my photos", "forget about me", "remove my data"),
    "forget_confirm": ("forget confirm", "yes delete", "yes, delete", "yes delete everything",
                       "yes, delete everything", "confirm forget", "yes forget me", "yes, forget me",
                       "delete confirm", "confirm delete"),
    "start": ("start",),
    "cancel": ("stop", "cancel", "stop it", "abort"),
    "thanks": ("thanks", "thank you", "thx", "ty", "thank you so much", "thanks a lot", "great", "cool", "nice",
               "perfect", "awesome", "love it", "wow", "i like it", "i love it", "looks good", "looks great",
               "good job", "nice one", "well done"),
    "more": ("more", "stronger", "make it stronger", "increase", "not enough", "too subtle", "too weak",
             "more of that", "more of it", "do it more", "make it more", "amplify", "boost", "intensify",
             "even more", "stronger please", "again", "do it again", "once more", "one more time",
             "more more"),
    "more_bit": ("a bit more", "a little more", "slightly more", "a tiny bit more", "a little stronger",
                 "a bit stronger", "slightly stronger", "a touch more", "a little bit more"),
    "more_much": ("much more", "way more", "a lot more", "lots more", "much stronger", "way stronger",
                  "a lot stronger", "twice as much", "double", "double it", "way too subtle", "much much more"),
    "less": ("less", "weaker", "make it weaker", "too much", "tone it down", "not so much", "decrease", "reduce",
             "too strong", "less of that", "less of it", "softer", "tone down", "dial it back", "subtler",
             "more subtle", "overdone"),
    "less_bit": ("a bit less", "a little less", "slightly less", "a bit weaker", "a little weaker",
                 "a bit too much", "a little too much", "slightly weaker", "a touch less"),
    "less_much": ("much less", "way less", "a lot less", "much weaker", "way weaker", "way too much",
                  "far too much", "half", "halve it", "half as much", "much too much", "way too strong"),
}
for _kind, _phrases in _COMMANDS.items():
    for _phrase in _phrases:
        COMMAND_PHRASES[_phrase] = _kind

# Slash commands (`/undo`, `/undo@MyBot`); `/drop WORDS` and `/forget confirm` take arguments.
SLASH_COMMANDS = {
    "undo": "undo", "redo": "redo", "reset": "reset", "history": "history", "compare": "compare", "help": "help",
    "privacy": "privacy", "forget": "forget", "start": "start", "more": "more", "less": "less", "drop": "drop",
    "cancel": "cancel", "stop": "cancel",
}

# Unsafe requests: a short, conservative list (sexual content and nudity, which also covers minors in a sexual
# context, and gore). Whole words; a phrase matches as a whole.
UNSAFE_WORDS = frozenset({
    "naked", "nude", "nudes", "nudity", "topless", "bottomless", "undress", "undressed", "undressing", "nsfw",
    "porn", "porno", "pornographic", "sex", "sexual", "sexy", "erotic", "lingerie", "boobs", "breasts",
    "genitals", "explicit",
    "gore", "gory", "bloody", "blood", "bleeding", "decapitated", "beheaded", "mutilated", "dismembered",
    "corpse", "severed",
})
UNSAFE_PHRASES = ("no clothes", "without clothes", "take off her clothes", "take off his clothes",
                  "remove clothes", "remove her clothes", "remove his clothes", "remove the clothes", "dead body")

# Adjectives of a face: comparative or base form → base form. Target: "<base> face", neutral "face".
ADJECTIVES: dict[str, str] = {}
for _base, _forms in {
    "cute": ("cuter", "cutest"), "old": ("older", "oldest", "aged", "elderly"), "young": ("younger", "youthful"),
    "happy": ("happier",), "sad": ("sadder",), "angry": ("angrier", "mad"), "surprised": ("shocked", "amazed"),
    "pretty": ("prettier",), "beautiful": (), "handsome": (),
    "ugly": ("uglier",), "scary": ("scarier",), "serious": (), "thin": ("thinner", "slimmer", "slim", "skinny"),
    "fat": ("fatter", "chubby", "chubbier"), "pale": ("paler",), "tanned": ("tan", "tanner"),
    "masculine": ("manlier", "manly"), "feminine": ("girlier",), "tired": (), "calm": ("calmer",),
    "friendly": ("friendlier",), "evil": (), "cheerful": (), "sleepy": (), "wise": ("wiser",),
    "attractive": (), "confident": (), "bored": (), "disgusted": (), "scared": ("afraid", "frightened"),
    "smiling": ("smiley", "smilier"), "frowning": (), "laughing": (), "crying": (), "male": (), "female": (),
    "bald": ("balder", "hairless"), "wrinkled": ("wrinkly",), "symmetric": ("symmetrical",),
}.items():
    ADJECTIVES[_base] = _base
    for _form in _forms:
        ADJECTIVES[_form] = _base

# Verbs and their faces ("smile" → "smiling face"); also read as nouns ("give her a smile").
VERBS = {"smile": "smiling", "frown": "frowning", "laugh": "laughing", "cry": "crying", "grin": "grinning",
         "pout": "pouting", "wink": "winking", "scowl": "scowling", "smirk": "smirking"}

# Where a plain "<adjective> face" is not what StyleCLIP uses: target and neutral.
SPECIAL_ADJECTIVES: dict[str, tuple[str, str]] = {
    "bald": ("bald face", "face with hair"),
    "male": ("male face", "female face"),
    "female": ("female face", "male face"),
}

# "less <adjective>" goes to the opposite where one is known, else back from "<adjective> face" to "face".
OPPOSITES = {"old": "young", "young": "old", "happy": "sad", "sad": "happy", "fat": "thin", "thin": "fat",
             "pale": "tanned", "tanned": "pale", "masculine": "feminine", "feminine": "masculine",
             "pretty": "ugly", "ugly": "pretty", "male": "female", "female": "male"}

# Named hairstyles → the released mappers' texts ("mohawk hairstyle").
HAIRSTYLES = {
    "mohawk": "mohawk", "mohican": "mohawk", "afro": "afro", "bob cut": "bob cut", "bobcut": "bob cut",
    "bob": "bob cut", "bob haircut": "bob cut", "bowl cut": "bowl cut", "bowlcut": "bowl cut",
    "bowl haircut": "bowl cut", "buzz cut": "buzz cut", "buzzcut": "buzz cut", "crew cut": "crew cut",
    "pixie cut": "pixie cut", "mullet": "mullet", "ponytail": "ponytail", "pony tail": "ponytail",
    "dreadlocks": "dreadlocks", "dreads": "dreadlocks", "undercut": "undercut", "bun": "bun", "man bun": "man bun",
    "pigtails": "pigtails", "braids": "braids", "cornrows": "cornrows", "mohawk haircut": "mohawk",
}

# Words that describe hair: "<word> hair" → target "face with <word> hair", neutral "face with hair".
HAIR_WORDS = frozenset({
    "blonde", "blond", "brown", "black", "red", "ginger", "grey", "gray", "white", "silver", "purple", "pink",
    "blue", "green", "orange", "yellow", "golden", "dark", "light", "curly", "straight", "wavy", "long", "short",
    "messy", "spiky", "thick", "thin", "shiny", "dyed", "colorful", "colourful", "rainbow", "platinum",
    "auburn", "brunette", "frizzy", "braided", "slicked back", "shaved", "bleached", "neon", "teal", "violet",
})
HAIR_PERSONS = {"blonde": "blonde", "blond": "blonde", "brunette": "brown", "redhead": "red", "ginger": "ginger",
                "redheaded": "red"}

# Parts of a face: "make his nose bigger" → target "face with bigger nose" (hair: neutral "face with hair").
FACE_PARTS = ("hair", "eyes", "eye", "nose", "lips", "mouth", "ears", "eyebrows", "skin", "cheeks", "chin", "jaw",
              "forehead", "teeth", "beard", "mustache", "moustache")

# Things a face can have, with their article ("add beard" → "face with a beard").
NOUNS = {
    "beard": "a beard", "mustache": "a mustache", "moustache": "a mustache", "goatee": "a goatee",
    "stubble": "stubble", "glasses": "glasses", "sunglasses": "sunglasses", "eyeglasses": "glasses",
    "spectacles": "glasses", "makeup": "makeup", "make up": "makeup", "make-up": "makeup", "lipstick": "lipstick",
    "eyeliner": "eyeliner", "eyeshadow": "eyeshadow", "mascara": "mascara", "blush": "blush", "hat": "a hat",
    "cap": "a cap", "earrings": "earrings", "earring": "an earring", "freckles": "freckles", "tattoo": "a tattoo",
    "tattoos": "tattoos", "piercing": "a piercing", "piercings": "piercings", "wrinkles": "wrinkles",
    "bangs": "bangs", "fringe": "bangs", "sideburns": "sideburns", "scar": "a scar", "hair": "hair",
    "crown": "a crown", "headband": "a headband", "mask": "a mask", "eyebrows": "eyebrows",
    "bushy eyebrows": "bushy eyebrows", "dimples": "dimples", "acne": "acne", "pimples": "pimples",
    "mole": "a mole", "bow tie": "a bow tie", "tie": "a tie", "necklace": "a necklace", "helmet": "a helmet",
    "headscarf": "a headscarf", "veil": "a veil", "blue eyes": "blue eyes", "green eyes": "green eyes",
    "brown eyes": "brown eyes", "big eyes": "big eyes", "open mouth": "an open mouth", "tan": "a tan",
}

# Whole phrases with a fixed meaning: (target, neutral).
SET_PHRASES = {
    "shave": ("face without a beard", "face with a beard"),
    "clean shaven": ("face without a beard", "face with a beard"),
    "clean-shaven": ("face without a beard", "face with a beard"),
    "shave him": ("face without a beard", "face with a beard"),
    "shave his head": ("bald face", "face with hair"),
    "open eyes": ("face with open eyes", "face with closed eyes"),
    "close eyes": ("face with closed eyes", "face with open eyes"),
    "closed eyes": ("face with closed eyes", "face with open eyes"),
    "close his eyes": ("face with closed eyes", "face with open eyes"),
    "close her eyes": ("face with closed eyes", "face with open eyes"),
    "open mouth": ("face with an open mouth", "face with a closed mouth"),
    "gender swap": ("female face", "male face"),
}

# Celebrities with released mappers → their training texts.
CELEBRITIES = {
    "beyonce": "Beyonce", "beyoncé": "Beyonce", "johnny depp": "Johnny Depp", "depp": "Johnny Depp",
    "hillary clinton": "Hillary Clinton", "hilary clinton": "Hillary Clinton", "taylor swift": "Taylor Swift",
    "donald trump": "Donald Trump", "trump": "Donald Trump", "mark zuckerberg": "Mark Zuckerberg",
    "zuckerberg": "Mark Zuckerberg",
}

# Objects of "make it ..." / "turn ... into": who or what is being edited.
OBJECTS = ("it", "him", "her", "them", "me", "us", "this", "that", "the face", "his face", "her face", "my face",
           "their face", "the photo", "the picture", "the image", "this photo", "this picture", "the person",
           "the guy", "the man", "the woman", "the girl", "the boy", "this guy", "this person", "the pic", "he",
           "she", "they", "i")
ARTICLES = ("a", "an", "the", "some", "his", "her", "their", "my", "its", "this", "that")

# Drop an earlier edit: "<verb> <words> [edit]".
DROP_VERBS = ("drop", "undo", "take back", "cancel", "forget", "remove", "delete", "revert", "get rid of")
DROP_SUFFIXES = ("edit", "step", "change", "one", "effect")

# Messages: English sentences, also the keys of the message catalogue (`bot/locale`), which translates them.
MSG_EMPTY = N_("I didn't get any text. Tell me what to change, e.g. \"make it smile\" or \"add glasses\".")
MSG_EMOJI = N_("Nice emoji! I need words though: try \"make it cuter\" or \"purple hair\".")
MSG_NONSENSE = N_("Sorry, I didn't understand that. Try \"add a beard\", \"make him older\" or send /help.")
MSG_TOO_LONG = N_("That's a bit long for me (over {limit} characters). Try a short phrase like \"curly hair\".")
MSG_UNSAFE = N_("I can't make that kind of edit. Try something like \"add glasses\" or \"make it smile\".")
MSG_UNKNOWN_SLASH = N_("I don't know the command /{name}. Send /help to see what I can do.")
MSG_DROP_WHAT = N_("Which edit should I drop? Say e.g. \"drop the beard\".")
MSG_TOO_MANY = N_("That's a lot at once: up to {count} edits per message, please. E.g. \"smile and add glasses\".")
MSG_CHINESE_NOT_KNOWN = N_(
    "I don't know those words yet. Try e.g. \"微笑\", \"戴上眼镜\", \"紫色头发\" or \"变老\", or write in English."
)
MSG_SCRIPT_NOT_READ = N_("I read English and Chinese only. Try e.g. \"make it smile\", \"add glasses\" or \"微笑\".")
