//! Dates in news text: "20 January 2022", "January 20, 2022", "2022-01-20", "20/1/2022",
//! "في 20 كانون الثاني 2022", "يوم الخميس 20 يناير". A date without a year takes the year the
//! text gives elsewhere, else the latest year (up to this one) in which that day fell on the
//! weekday the text names.

use chrono::{Datelike, NaiveDate, Weekday};

use super::arabic::readings;
use super::tokenize::{Script, Tokens};
use super::work;

/// A date the text gives.
#[derive(Debug, Clone, PartialEq)]
pub struct DateMention {
    pub date: NaiveDate,
    pub first: usize,
    pub last: usize,
    /// How the date was completed when the text did not write it in full (the year from
    /// elsewhere, from the weekday, or counted from an earlier date).
    pub inferred: Option<&'static str>,
}

/// The month a folded, article-less word names; Levantine names of two words ("كانون
/// الثاني") look at the next word: (month, whether the next word is part of it).
fn month_of(w: &str, next: Option<&str>) -> Option<(u32, bool)> {
    let one = |m: u32| Some((m, false));
    match w {
        "january" | "jan" | "يناير" => one(1),
        "february" | "feb" | "فبراير" | "شباط" => one(2),
        "march" | "مارس" | "اذار" => one(3),
        "april" | "apr" | "ابريل" | "نيسان" => one(4),
        "may" | "مايو" | "ايار" => one(5),
        "june" | "jun" | "يونيو" | "يونيه" | "حزيران" => one(6),
        "july" | "jul" | "يوليو" | "يوليه" | "تموز" => one(7),
        "august" | "aug" | "اغسطس" | "اب" => one(8),
        "september" | "sept" | "sep" | "سبتمبر" | "ايلول" => one(9),
        "october" | "oct" | "اكتوبر" => one(10),
        "november" | "nov" | "نوفمبر" => one(11),
        "december" | "dec" | "ديسمبر" => one(12),
        "كانون" => match next? {
            "ثاني" => Some((1, true)),
            "اول" => Some((12, true)),
            _ => None,
        },
        "تشرين" => match next? {
            "اول" => Some((10, true)),
            "ثاني" => Some((11, true)),
            _ => None,
        },
        _ => None,
    }
}

const WEEKDAYS: &[(&str, Weekday)] = &[
    ("monday", Weekday::Mon),
    ("tuesday", Weekday::Tue),
    ("wednesday", Weekday::Wed),
    ("thursday", Weekday::Thu),
    ("friday", Weekday::Fri),
    ("saturday", Weekday::Sat),
    ("sunday", Weekday::Sun),
    ("اثنين", Weekday::Mon),
    ("ثلاثا", Weekday::Tue),
    ("اربعا", Weekday::Wed),
    ("خميس", Weekday::Thu),
    ("جمعه", Weekday::Fri),
    ("سبت", Weekday::Sat),
    ("احد", Weekday::Sun),
];

/// Words that may stand between a month and its year ("كانون الثاني عام 2022").
const YEAR_WORDS: &[&str] = &["عام", "سنه", "من"];

struct Partial {
    day: u32,
    month: u32,
    year: Option<i32>,
    weekday: Option<Weekday>,
    first: usize,
    last: usize,
}

/// Every date in the text, in order; `this_year` bounds weekday inference.
pub fn dates(tokens: &Tokens<'_>, this_year: i32) -> Vec<DateMention> {
    let mut partials = Vec::new();
    let mut i = 0;
    while i < tokens.len() {
        work::step(1);
        match date_at(tokens, i) {
            Some(p) => {
                i = p.last + 1;
                partials.push(p);
            }
            None => i += 1,
        }
    }
    let text_years: Vec<(usize, i32)> = (0..tokens.len())
        .filter_map(|i| year_of(tokens, i).map(|y| (i, y)))
        .collect();
    let absolute = resolve_years(partials, &text_years, this_year);
    with_relative_days(tokens, absolute)
}

/// Phrases that put an event a number of days after the date given before them, folded and
/// without articles.
const RELATIVE_DAYS: &[(&[&str], u64)] = &[
    (&["next", "day"], 1),
    (&["following", "day"], 1),
    (&["next", "morning"], 1),
    (&["following", "morning"], 1),
    (&["a", "day", "later"], 1),
    (&["two", "days", "later"], 2),
    (&["يوم", "تالي"], 1),
    (&["صباح", "يوم", "تالي"], 1),
    (&["غداه"], 1),
    (&["بعد", "يومين"], 2),
];

/// Adds "the next day" / "في اليوم التالي" as the date before it plus the days it says.
fn with_relative_days(tokens: &Tokens<'_>, absolute: Vec<DateMention>) -> Vec<DateMention> {
    if absolute.is_empty() {
        return absolute;
    }
    let mut out = absolute.clone();
    // The date given last before word `i`: the last absolute one ending before it (they are
    // in text order, so one pointer follows `i`), or the last relative one pushed.
    let mut absolute_before = 0;
    let mut i = 0;
    while i < tokens.len() {
        work::step(1);
        let first = word(tokens, i);
        let hit = RELATIVE_DAYS.iter().find(|(words, _)| {
            words[0] == first
                && i + words.len() <= tokens.len()
                && words[1..]
                    .iter()
                    .enumerate()
                    .all(|(k, w)| word(tokens, i + 1 + k) == *w)
        });
        let Some((words, days)) = hit else {
            i += 1;
            continue;
        };
        let last = i + words.len() - 1;
        // The latest date given before the phrase, itself possibly relative; on a tie the
        // relative one (pushed later). Searching all dates here was quadratic.
        while absolute.get(absolute_before).is_some_and(|d| d.last < i) {
            absolute_before += 1;
        }
        let last_absolute = absolute_before.checked_sub(1).map(|n| &absolute[n]);
        let last_relative = out[absolute.len()..].last();
        let base = match (last_absolute, last_relative) {
            (Some(a), Some(r)) if a.last > r.last => Some(a.date),
            (_, Some(r)) => Some(r.date),
            (a, None) => a.map(|a| a.date),
        };
        if let Some(date) = base.and_then(|d| d.checked_add_days(chrono::Days::new(*days))) {
            out.push(DateMention {
                date,
                first: i,
                last,
                inferred: Some("counted from the date given before it"),
            });
        }
        i = last + 1;
    }
    out.sort_by_key(|d| d.first);
    out
}

/// Completes every partial date (in text order) with its year: as written; else the nearest
/// year the text gives before it that fits, then after it; else from the weekday.
fn resolve_years(
    partials: Vec<Partial>,
    text_years: &[(usize, i32)],
    this_year: i32,
) -> Vec<DateMention> {
    // The years around each date, nearest first and each once (a year that did not fit once
    // will not fit again): the text's own order, read by two sweeps, instead of searching
    // every year of the text for every date, which was quadratic.
    let mut from_text: Vec<Option<NaiveDate>> = vec![None; partials.len()];
    let mut recent = RecentYears::default();
    let mut next = 0;
    for (n, p) in partials.iter().enumerate() {
        while let Some(&(_, y)) = text_years.get(next).filter(|(at, _)| *at < p.first) {
            recent.saw(y);
            next += 1;
        }
        if p.year.is_none() {
            from_text[n] = recent.first_fitting(|y| p.fits(y));
        }
    }
    let mut upcoming = RecentYears::default();
    let mut next = text_years.len();
    for (n, p) in partials.iter().enumerate().rev() {
        while let Some(&(_, y)) = next
            .checked_sub(1)
            .and_then(|k| text_years.get(k))
            .filter(|(at, _)| *at > p.last)
        {
            upcoming.saw(y);
            next -= 1;
        }
        if p.year.is_none() && from_text[n].is_none() {
            from_text[n] = upcoming.first_fitting(|y| p.fits(y));
        }
    }
    partials
        .into_iter()
        .zip(from_text)
        .filter_map(|(p, found)| resolve_year(p, found, this_year))
        .collect()
}

/// Distinct years, the one seen last first.
#[derive(Default)]
struct RecentYears {
    /// Seen last at the end; at most the 201 years `year_of` accepts.
    years: Vec<i32>,
}

impl RecentYears {
    fn saw(&mut self, year: i32) {
        work::step(self.years.len());
        self.years.retain(|&y| y != year);
        self.years.push(year);
    }

    fn first_fitting(&self, fits: impl Fn(i32) -> Option<NaiveDate>) -> Option<NaiveDate> {
        work::step(self.years.len());
        self.years.iter().rev().find_map(|&y| fits(y))
    }
}

impl Partial {
    /// The date in `year`, if that day exists then and falls on the weekday the text names.
    fn fits(&self, year: i32) -> Option<NaiveDate> {
        NaiveDate::from_ymd_opt(year, self.month, self.day)
            .filter(|d| self.weekday.is_none_or(|w| d.weekday() == w))
    }
}

/// A partial date with its year: as written, `from_text` (a year the text gives elsewhere),
/// or the latest that fits the weekday.
fn resolve_year(p: Partial, from_text: Option<NaiveDate>, this_year: i32) -> Option<DateMention> {
    let (date, inferred) = if let Some(y) = p.year {
        (NaiveDate::from_ymd_opt(y, p.month, p.day)?, None)
    } else if let Some(d) = from_text {
        (d, Some("a year given elsewhere in the text"))
    } else if p.weekday.is_some() {
        let d = (this_year - 27..=this_year).rev().find_map(|y| p.fits(y))?;
        (
            d,
            Some("the latest year in which this day fell on the weekday the text names"),
        )
    } else {
        return None;
    };
    Some(DateMention {
        date,
        first: p.first,
        last: p.last,
        inferred,
    })
}

/// A date starting at word `i` (a weekday before it is taken in).
fn date_at(tokens: &Tokens<'_>, i: usize) -> Option<Partial> {
    if let Some(p) = numeric_date(tokens, i) {
        return Some(p);
    }
    let (day, month, mut last) = if let Some(day) = day_of(tokens, i) {
        let mut m = i + 1;
        // "20th of January": the ordinal suffix is split from the digits.
        if m < tokens.len()
            && matches!(tokens.folded(m), "st" | "nd" | "rd" | "th")
            && tokens.gap(m).is_empty()
        {
            m += 1;
        }
        if m < tokens.len() && tokens.folded(m) == "of" {
            m += 1;
        }
        let (month, end) = month_at(tokens, m)?;
        (day, month, end)
    } else {
        let (month, end) = month_at(tokens, i)?;
        let day = day_of(tokens, end + 1)?;
        let mut last = end + 1;
        if last + 1 < tokens.len()
            && matches!(tokens.folded(last + 1), "st" | "nd" | "rd" | "th")
            && tokens.gap(last + 1).is_empty()
        {
            last += 1;
        }
        (day, month, last)
    };
    let mut year = None;
    let mut j = last + 1;
    while j < tokens.len() && YEAR_WORDS.contains(&word(tokens, j)) && j <= last + 2 {
        j += 1;
    }
    if let Some(y) = (j < tokens.len()).then(|| year_of(tokens, j)).flatten() {
        year = Some(y);
        last = j;
    }
    let mut first = i;
    let mut weekday = None;
    for back in 1..=3 {
        if i < back {
            break;
        }
        if let Some(&(_, w)) = WEEKDAYS.iter().find(|(n, _)| *n == word(tokens, i - back)) {
            weekday = Some(w);
            first = i - back;
            break;
        }
    }
    Some(Partial {
        day,
        month,
        year,
        weekday,
        first,
        last,
    })
}

/// "2022-01-20", "20/1/2022", "20.1.2022": three digit groups joined by one separator.
fn numeric_date(tokens: &Tokens<'_>, i: usize) -> Option<Partial> {
    if i + 2 >= tokens.len() {
        return None;
    }
    let sep = tokens.gap(i + 1);
    if !matches!(sep, "-" | "/" | ".") || tokens.gap(i + 2) != sep {
        return None;
    }
    let n = |j: usize| -> Option<u32> {
        (tokens.tokens[j].script == Script::Digits)
            .then(|| tokens.folded(j).parse().ok())
            .flatten()
    };
    let (a, b, c) = (n(i)?, n(i + 1)?, n(i + 2)?);
    let (year, month, day) = if tokens.folded(i).len() == 4 {
        (a as i32, b, c)
    } else if tokens.folded(i + 2).len() == 4 {
        (c as i32, b, a)
    } else {
        return None;
    };
    NaiveDate::from_ymd_opt(year, month, day)?;
    Some(Partial {
        day,
        month,
        year: Some(year),
        weekday: None,
        first: i,
        last: i + 2,
    })
}

/// The word with an Arabic article or prefix removed.
fn word<'a>(tokens: &'a Tokens<'_>, i: usize) -> &'a str {
    let arabic = tokens.tokens[i].script == Script::Arabic;
    readings(tokens.folded(i), arabic)[0].map_or(tokens.folded(i), |r| r.text)
}

/// A day of the month: 1..=31 in digits, possibly with an ordinal suffix ("20th").
fn day_of(tokens: &Tokens<'_>, i: usize) -> Option<u32> {
    if i >= tokens.len() || tokens.tokens[i].script != Script::Digits || tokens.folded(i).len() > 2
    {
        return None;
    }
    tokens
        .folded(i)
        .parse()
        .ok()
        .filter(|d| (1..=31).contains(d))
}

/// A month name at word `i`: (month, last word).
fn month_at(tokens: &Tokens<'_>, i: usize) -> Option<(u32, usize)> {
    if i >= tokens.len() {
        return None;
    }
    let next = (i + 1 < tokens.len()).then(|| word(tokens, i + 1));
    let (month, two_words) = month_of(word(tokens, i), next)?;
    Some((month, i + two_words as usize))
}

/// A year 1900..=2100 in four digits.
fn year_of(tokens: &Tokens<'_>, i: usize) -> Option<i32> {
    (tokens.tokens[i].script == Script::Digits && tokens.folded(i).len() == 4)
        .then(|| tokens.folded(i).parse().ok())
        .flatten()
        .filter(|y| (1900..=2100).contains(y))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn first_date(text: &str) -> Option<NaiveDate> {
        let t = Tokens::new(text);
        dates(&t, 2026).first().map(|d| d.date)
    }

    #[test]
    fn dates_in_both_languages() {
        let d = NaiveDate::from_ymd_opt(2022, 1, 20);
        assert_eq!(first_date("on 20 January 2022, IS attacked"), d);
        assert_eq!(first_date("on January 20, 2022"), d);
        assert_eq!(first_date("on the 20th of January 2022"), d);
        assert_eq!(first_date("2022-01-20"), d);
        assert_eq!(first_date("20/1/2022"), d);
        assert_eq!(first_date("في 20 كانون الثاني 2022"), d);
        assert_eq!(first_date("في ٢٠ كانون الثاني ٢٠٢٢"), d);
        assert_eq!(first_date("يوم الخميس 20 يناير"), d);
        assert_eq!(first_date("on Thursday, January 20"), d);
        assert_eq!(first_date("في العام 2022 ... في 20 كانون الثاني"), d);
        assert_eq!(first_date("on 20 January"), None);
        let t = Tokens::new("On 20 January 2022 IS attacked. The next day, the SDF struck.");
        let found: Vec<NaiveDate> = dates(&t, 2026).iter().map(|d| d.date).collect();
        assert_eq!(
            found,
            vec![d.unwrap(), NaiveDate::from_ymd_opt(2022, 1, 21).unwrap()]
        );
        let t = Tokens::new("في 20 كانون الثاني 2022 هاجم التنظيم. وفي اليوم التالي اعتقل");
        assert_eq!(dates(&t, 2026).len(), 2);
        assert_eq!(first_date("20 people"), None);
    }
}
