"""What a salesperson types -> a date or a date-time, in Chinese or English.

`parse_when("明天下午3点", now, "zh")` returns a `When`; text that does not name exactly one
day or moment raises `DateNotUnderstood` with a reason the bot can explain:

* ``"empty"`` — nothing but white space;
* ``"unrecognised"`` — not read as a date (also any text over `MAX_LENGTH` characters);
* ``"invalid_date"`` — reads as a date that does not exist (2月30日, Feb 30, 13/40);
* ``"invalid_time"`` — a day that exists at an hour or minute that does not (明天下午25点,
  13pm, 上午15点, 9:75): the person is told it is the time, not the day, that is wrong;
* ``"no_single_date"`` — a period, a range, alternatives or a vague word
  (下周, 12月, 周末, 周三或周四, 3-5点, 随便, whenever, next week).

How it reads
    The text is normalised (NFKC, lower case, the few traditional characters that matter
    mapped to simplified) and read left to right by a table of token rules. Each token fills
    one slot of a `_Reading`: the day, a bare weekday, a part of the day, a clock time, or a
    relative moment ("2小时后"); a slot filled twice means two dates were named. Every
    character must be read by some rule, so text we cannot read is refused, never guessed at.
    Chinese and English rules sit in one table, the user's language first, so mixed text
    ("明天 3pm", "Dec 3 下午两点") reads too. English text the table cannot read is handed to
    dateparser, whose answer is kept only under guards (`fallback._from_dateparser`): it must
    name a day, not be past unless the text says so, name no time zone, and show every number
    typed — dateparser drops what it cannot read without saying so. Its Chinese is not used: it
    misses most of the dev corpus's Chinese lines.

Where it lives
    `parse` (the entry point `parse_when`), `answer` (`When`, `DateNotUnderstood` and its
    `Reason`), `reading` (the slots and what fills them), `tokens` (the rules' machinery, the
    numerals and the rules both languages share), `chinese`, `english`, and `fallback`
    (dateparser).

Decisions (each one tested in tests/test_dates.py)
    * Future first. A day not fixed by the text (周五, 3月5日, 5号, Friday, March 5, or only a
      time: 晚上八点, 10am) is the first such moment not yet past, today included. Days the
      text fixes (今天, 明天, 这周一, 下周三, 2026-03-01, 3天后, yesterday, last Friday) are
      returned as named even when past; the caller decides whether the past is allowed.
    * But a month and day without a year (12月3日, Dec 3, 圣诞节) is the nearest such day:
      typed on 12月4日, 12月3日 is yesterday, returned as past (the caller says so with the
      date), not 2027-12-03 — a year on is never what a one-day slip meant. Today's date at
      an hour already gone is today's, past, too. 1月5日 typed in December is next January's.
    * Weeks start on Monday: on Wed 2026-11-18, 这周日 = 11-22 and 下周日 = 11-29. English
      "next Friday" is the Friday of next week, as 下周五; "this Friday" is the coming one.
    * An hour with no am/pm and no day part: 1-6 means the afternoon (3点 = 15:00, "at 3" =
      15:00) because nobody books a client for 3 a.m. without saying 凌晨; other hours, and
      times written with two digits ("03:00", "14:00"), are taken as written.
    * 晚上/tonight with 12 or 0-4 o'clock is the night after that evening (今晚12点 = the next
      day 00:00); "midnight" and 24点 are the end of the day named.
    * A day part without an hour is a date-time at the usual hour for it, not a bare date:
      a receptionist needs a time, and the bot echoes it back to be confirmed or corrected.
      早上/明早/early morning 08:00, 上午/morning 09:00, 中午/noon 12:00, 下午/afternoon 14:00,
      傍晚 18:00, 晚上/今晚/evening/tonight/night 19:00. 凌晨 and 半夜 have no usual hour for a
      visit, so alone they raise "no_single_date" (the bot asks for the hour).
    * A weekday beside a date must agree with it (12月4日周五); otherwise "no_single_date".
    * N天后 / "in N days" / N周后 / N个月后 are dates (months keep the day of month, clamped to
      the month's end); N小时后 / N分钟后 / "in 2 hours" are moments: now plus that much real
      time, seconds dropped.
    * Vague words (随便, 待定, whenever, sometime) name no date by themselves, but do not spoil
      a date beside them: "明天都行" is tomorrow. 过两天 is the idiom "in a day or two", so
      vague; 再过两天 and 过3天 are two and three days.
    * Numeric dates are month first (12/3, 12.3 = 3 December), as Chinese and US English write
      them, unless only day first can be meant (25/12). A bare number (3, 12) is refused.
    * Fixed-date holidays read as their day (元旦, 圣诞节, Christmas); moving ones (春节, 中秋)
      and week-long ones (国庆) are not read.
    * A time zone in the text ("3pm EST") is refused: results are in the zone of `now`.
"""
