//! Counts in news text: digits of any script ("70", "٧٠", "1,200"), number words in English
//! and Arabic ("four", "خمسة وعشرين"), vague amounts ("hundreds of", "عشرات"), the hedges
//! around them ("more than", "أكثر من", "at least", "على الأقل") and what they count (dead,
//! arrested, escaped, families, missiles), read from the words next to them.

use std::cell::OnceCell;

use serde::Serialize;

use super::arabic::readings;
use super::events::forms;
use super::tokenize::{Script, Tokens};
use super::work;

/// How the text qualifies a count.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Qualifier {
    Exact,
    MoreThan,
    AtLeast,
    About,
    UpTo,
    Between,
    /// "dozens", "hundreds of", "عشرات": coded as a conservative number (12, 100, 1000).
    Vague,
}

impl Qualifier {
    pub fn words(self) -> &'static str {
        match self {
            Qualifier::Exact => "",
            Qualifier::MoreThan => "more than ",
            Qualifier::AtLeast => "at least ",
            Qualifier::About => "about ",
            Qualifier::UpTo => "up to ",
            Qualifier::Between => "between ",
            Qualifier::Vague => "",
        }
    }
}

/// What a count counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    Dead,
    Injured,
    Arrested,
    Escaped,
    Families,
    Displaced,
    Missiles,
    Other,
}

/// A count found in the text.
#[derive(Debug, Clone, PartialEq)]
pub struct Quantity {
    pub value: u32,
    /// Upper end of "between X and Y".
    pub high: Option<u32>,
    pub qualifier: Qualifier,
    pub category: Category,
    /// Words spanned, qualifier included.
    pub first: usize,
    pub last: usize,
}

/// Hedges written before a count, folded.
const BEFORE: &[(&[&str], Qualifier)] = &[
    (&["more", "than"], Qualifier::MoreThan),
    (&["over"], Qualifier::MoreThan),
    (&["upwards", "of"], Qualifier::MoreThan),
    (&["at", "least"], Qualifier::AtLeast),
    (&["no", "fewer", "than"], Qualifier::AtLeast),
    (&["no", "less", "than"], Qualifier::AtLeast),
    (&["about"], Qualifier::About),
    (&["around"], Qualifier::About),
    (&["approximately"], Qualifier::About),
    (&["roughly"], Qualifier::About),
    (&["nearly"], Qualifier::About),
    (&["almost"], Qualifier::About),
    (&["some"], Qualifier::About),
    (&["an", "estimated"], Qualifier::About),
    (&["up", "to"], Qualifier::UpTo),
    (&["as", "many", "as"], Qualifier::UpTo),
    (&["fewer", "than"], Qualifier::UpTo),
    (&["less", "than"], Qualifier::UpTo),
    (&["اكثر", "من"], Qualifier::MoreThan),
    (&["ما", "يزيد", "عن"], Qualifier::MoreThan),
    (&["ما", "يزيد", "علي"], Qualifier::MoreThan),
    (&["يزيد", "عن"], Qualifier::MoreThan),
    (&["ازيد", "من"], Qualifier::MoreThan),
    (&["ما", "لا", "يقل", "عن"], Qualifier::AtLeast),
    (&["لا", "يقل", "عن"], Qualifier::AtLeast),
    (&["نحو"], Qualifier::About),
    (&["حوالي"], Qualifier::About),
    (&["قرابه"], Qualifier::About),
    (&["زها"], Qualifier::About),
    (&["ما", "يقارب"], Qualifier::About),
    (&["اقل", "من"], Qualifier::UpTo),
];

/// Hedges written after a count ("70 قتيلا على الأقل", "20 or more").
const AFTER: &[(&[&str], Qualifier)] = &[
    (&["علي", "اقل"], Qualifier::AtLeast),
    (&["at", "least"], Qualifier::AtLeast),
    (&["or", "more"], Qualifier::AtLeast),
];

// Number words are matched with `match` (compiled to length and byte comparisons): they
// are tried on every word of a text.

fn en_ones(w: &str) -> Option<u32> {
    Some(match w {
        "zero" => 0,
        "one" => 1,
        "two" => 2,
        "three" => 3,
        "four" => 4,
        "five" => 5,
        "six" => 6,
        "seven" => 7,
        "eight" => 8,
        "nine" => 9,
        "ten" => 10,
        "eleven" => 11,
        "twelve" => 12,
        "thirteen" => 13,
        "fourteen" => 14,
        "fifteen" => 15,
        "sixteen" => 16,
        "seventeen" => 17,
        "eighteen" => 18,
        "nineteen" => 19,
        _ => return None,
    })
}

fn en_tens(w: &str) -> Option<u32> {
    Some(match w {
        "twenty" => 20,
        "thirty" => 30,
        "forty" => 40,
        "fifty" => 50,
        "sixty" => 60,
        "seventy" => 70,
        "eighty" => 80,
        "ninety" => 90,
        _ => return None,
    })
}

/// Arabic units, masculine and feminine forms, 1..=10 ("احد", "اثنا" only before "عشر").
fn ar_ones(w: &str) -> Option<u32> {
    Some(match w {
        "واحد" | "واحده" | "احد" | "احدي" => 1,
        "اثنان" | "اثنين" | "اثنتان" | "اثنتين" | "اثنا" | "اثني" => {
            2
        }
        "ثلاث" | "ثلاثه" => 3,
        "اربع" | "اربعه" => 4,
        "خمس" | "خمسه" => 5,
        "ست" | "سته" => 6,
        "سبع" | "سبعه" => 7,
        "ثمان" | "ثماني" | "ثمانيه" => 8,
        "تسع" | "تسعه" => 9,
        "عشر" | "عشره" => 10,
        _ => return None,
    })
}

/// Arabic tens, hundreds and a thousand.
fn ar_tens(w: &str) -> Option<u32> {
    Some(match w {
        "عشرون" | "عشرين" => 20,
        "ثلاثون" | "ثلاثين" => 30,
        "اربعون" | "اربعين" => 40,
        "خمسون" | "خمسين" => 50,
        "ستون" | "ستين" => 60,
        "سبعون" | "سبعين" => 70,
        "ثمانون" | "ثمانين" => 80,
        "تسعون" | "تسعين" => 90,
        "ميه" | "مايه" => 100,
        "ميتان" | "ميتين" | "مايتين" | "مايتان" => 200,
        "الف" => 1000,
        _ => return None,
    })
}

/// Vague amounts and the conservative number they are coded as.
fn vague(w: &str) -> Option<u32> {
    Some(match w {
        "several" | "few" | "بضعه" | "بضع" | "عده" => 3,
        "dozen" | "dozens" | "عشرات" => 12,
        "scores" => 20,
        "hundreds" | "ميات" => 100,
        "thousands" | "الاف" | "الوف" => 1000,
        _ => return None,
    })
}

/// What a word says is being counted, and how strongly: a verb or a count noun (killed,
/// قتيلا) decides; a noun for the people counted (escapees) only when nothing else does.
fn category_of(word: &str) -> Option<(Category, bool)> {
    use Category::*;
    Some(match word {
        "killed" | "dead" | "died" | "deaths" | "death" | "fatalities" | "bodies" | "lives"
        | "قتيل" | "قتيلا" | "قتلي" | "قتلوا" | "قتل" | "مقتل" | "حصيله" | "ضحايا" | "ضحيه"
        | "جثه" | "جثث" | "مصرعهم" | "مصرع" | "لقوا" | "toll" | "killing" => {
            (Dead, true)
        }
        "wounded" | "injured" | "injuries" | "wounding" | "injuring" | "جريح" | "جريحا"
        | "جرحي" | "مصابا" | "مصابين" | "اصابه" | "اصيب" | "اصيبوا" => {
            (Injured, true)
        }
        "arrested" | "rearrested" | "detained" | "arrest" | "arrests" | "apprehended"
        | "recaptured" | "اعتقال" | "اعتقل" | "اعتقلت" | "اعتقلوا" | "قبض" | "توقيف" | "اوقفت" => {
            (Arrested, true)
        }
        "escaped" | "escape" | "broke" | "فرار" | "هروب" | "فروا" | "هربوا" | "فر" | "هرب" => {
            (Escaped, true)
        }
        "escapees" | "escapee" | "fugitives" | "fled" | "فارين" | "هاربين" | "فارا" | "هاربا" => {
            (Escaped, false)
        }
        "families" | "family" | "households" | "عايله" | "عايلات" | "عوايل" | "اسره" | "اسر" => {
            (Families, true)
        }
        "displaced" | "displacement" | "نازح" | "نازحا" | "نازحين" | "نزوح" | "نزحوا" | "نزح" => {
            (Displaced, true)
        }
        "missiles" | "missile" | "rockets" | "rocket" | "shells" | "strikes" | "raids"
        | "صواريخ" | "صاروخا" | "صاروخ" | "قذايف" | "قذيفه" | "غارات" | "غاره" => {
            (Missiles, true)
        }
        "km" | "kilometres" | "kilometers" | "metres" | "meters" | "miles" | "hours" | "days"
        | "years" | "percent" | "كم" | "كيلومتر" | "كيلومترات" | "متر" | "ساعه" | "ساعات"
        | "يوم" | "ايام" | "عاما" | "سنوات" | "بالميه" => (Other, true),
        _ => return None,
    })
}

/// Verbs that give a toll its new value.
fn is_rise_word(word: &str) -> bool {
    matches!(
        word,
        "rose"
            | "risen"
            | "climbed"
            | "reached"
            | "stood"
            | "stands"
            | "ارتفعت"
            | "ارتفع"
            | "ارتفاع"
            | "بلغت"
            | "بلغ"
            | "وصلت"
            | "وصل"
    )
}

/// Whether the clause up to each word names a death toll: worked out for the whole text in
/// one sweep the first time a count asks (scanning back through the clause per count was
/// quadratic in a long clause).
struct Tolls<'a, 't> {
    tokens: &'a Tokens<'t>,
    /// Per word `k`: a toll word among the words of its clause before `k`.
    before: OnceCell<Vec<bool>>,
}

impl<'a, 't> Tolls<'a, 't> {
    fn new(tokens: &'a Tokens<'t>) -> Self {
        Tolls {
            tokens,
            before: OnceCell::new(),
        }
    }

    /// Whether the clause ending at word `k` names a death toll.
    fn in_clause(&self, k: usize) -> bool {
        let before = self.before.get_or_init(|| {
            let tokens = self.tokens;
            work::step(tokens.len());
            let mut seen = false;
            (0..tokens.len())
                .map(|j| {
                    seen &= !tokens.break_before(j);
                    let before_j = seen;
                    seen |= is_toll_word(tokens, j);
                    before_j
                })
                .collect()
        });
        before.get(k).copied().unwrap_or(false)
    }
}

fn is_toll_word(tokens: &Tokens<'_>, j: usize) -> bool {
    let folded = tokens.folded(j);
    // Every reading is a tail of the folded word: a cheap test first.
    (folded.ends_with("toll") || folded.ends_with("حصيله"))
        && forms(tokens, j).any(|w| matches!(w, "toll" | "حصيله"))
}

/// Words that stop the search for what a count counts.
fn is_conjunction(word: &str) -> bool {
    matches!(
        word,
        "and" | "but" | "while" | "whereas" | "و" | "بينما" | "فيما" | "لكن"
    )
}

/// Every count in the text outside `skip` (words already read as dates).
pub fn quantities(tokens: &Tokens<'_>, skip: &[bool]) -> Vec<Quantity> {
    let tolls = Tolls::new(tokens);
    let mut out = Vec::new();
    let mut i = 0;
    while i < tokens.len() {
        work::step(1);
        if skip[i] {
            i += 1;
            continue;
        }
        let Some((value, vague, last)) = number_at(tokens, i) else {
            i += 1;
            continue;
        };
        let mut q = Quantity {
            value,
            high: None,
            qualifier: if vague {
                Qualifier::Vague
            } else {
                Qualifier::Exact
            },
            category: Category::Other,
            first: i,
            last,
        };
        if let Some((qual, len)) = hedge_before(tokens, i) {
            if !vague {
                q.qualifier = qual;
            }
            q.first = i - len;
        }
        between(tokens, &mut q);
        q.category = categorise(tokens, &tolls, &q);
        // A hedge after the count, or after its noun: "70 قتيلا على الأقل".
        for skip in 1..=2 {
            if let Some((qual, len)) = phrase_at(tokens, q.last + skip, AFTER) {
                if !vague {
                    q.qualifier = qual;
                }
                q.last += skip - 1 + len;
                break;
            }
        }
        let year_like =
            q.last == i && tokens.folded(i).len() == 4 && (1900..=2100).contains(&value);
        if !(year_like && q.category == Category::Other) {
            i = q.last + 1;
            out.push(q);
        } else {
            i += 1;
        }
    }
    out
}

/// The number spelled at word `i`: (value, vague, last word).
fn number_at(tokens: &Tokens<'_>, i: usize) -> Option<(u32, bool, usize)> {
    let word = tokens.folded(i);
    if tokens.tokens[i].script == Script::Digits {
        let mut value: u64 = word.parse().ok()?;
        let mut last = i;
        // "1,200": a comma with no space, then exactly three digits.
        while last + 1 < tokens.len()
            && matches!(tokens.gap(last + 1), "," | "٬")
            && tokens.folded(last + 1).len() == 3
            && tokens.tokens[last + 1].script == Script::Digits
        {
            value = value
                .checked_mul(1000)?
                .checked_add(tokens.folded(last + 1).parse::<u64>().ok()?)?;
            last += 1;
        }
        // "45 thousand", "٤٥ ألف".
        if last + 1 < tokens.len() {
            let scale = match tokens.folded(last + 1) {
                "thousand" | "الف" | "الاف" => 1_000,
                "million" | "مليون" => 1_000_000,
                _ => 1,
            };
            if scale > 1 {
                value = value.checked_mul(scale)?;
                last += 1;
            }
        }
        return Some((u32::try_from(value).ok()?, false, last));
    }
    let arabic = tokens.tokens[i].script == Script::Arabic;
    let reading = readings(word, arabic)[0].map_or(word, |r| r.text);
    for form in [word, reading] {
        if let Some(v) = vague(form) {
            if form == "few" && (i == 0 || tokens.folded(i - 1) != "a") {
                return None;
            }
            // "a dozen" is a number; "dozens" is not.
            return Some((v, form != "dozen", i));
        }
    }
    if arabic {
        return arabic_number(tokens, i, reading);
    }
    english_number(tokens, i, word)
}

fn english_number(tokens: &Tokens<'_>, i: usize, word: &str) -> Option<(u32, bool, usize)> {
    let mut value = en_ones(word).or_else(|| en_tens(word))?;
    if word == "one" && !next_is_count_word(tokens, i) {
        // "one" is more often a pronoun ("one of the guards") than a count.
        return None;
    }
    let mut last = i;
    if value >= 20 && value % 10 == 0 {
        if let Some(u) = tokens
            .tokens
            .get(i + 1)
            .and_then(|_| en_ones(tokens.folded(i + 1)))
        {
            if (1..10).contains(&u) {
                value += u;
                last += 1;
            }
        }
    }
    match tokens.tokens.get(last + 1).map(|_| tokens.folded(last + 1)) {
        Some("hundred") => {
            value *= 100;
            last += 1;
        }
        Some("thousand") => {
            value *= 1000;
            last += 1;
        }
        _ => {}
    }
    Some((value, false, last))
}

fn next_is_count_word(tokens: &Tokens<'_>, i: usize) -> bool {
    i + 1 < tokens.len() && category_of(tokens.folded(i + 1)).is_some()
}

fn arabic_number(tokens: &Tokens<'_>, i: usize, reading: &str) -> Option<(u32, bool, usize)> {
    let next_reading = |j: usize| -> Option<&str> {
        (j < tokens.len()).then(|| {
            readings(tokens.folded(j), true)
                .into_iter()
                .flatten()
                .last()
                .map_or(tokens.folded(j), |r| r.text)
        })
    };
    if let Some(v) = ar_tens(reading) {
        return Some((v, false, i));
    }
    let unit = ar_ones(reading)?;
    // "احد"/"احدي" (one, also "any") count only in "احد عشر".
    let next = next_reading(i + 1);
    match next {
        Some("عشر" | "عشره") if unit < 10 => return Some((10 + unit, false, i + 1)),
        Some(n) => {
            if let Some(t) = ar_tens(n).filter(|t| *t < 100) {
                if tokens.folded(i + 1).starts_with('و') {
                    return Some((unit + t, false, i + 1));
                }
            }
        }
        None => {}
    }
    if matches!(reading, "احد" | "احدي" | "اثنا" | "اثني") {
        return None;
    }
    Some((unit, false, i))
}

/// A hedge ending right before word `i`: (qualifier, words).
fn hedge_before(tokens: &Tokens<'_>, i: usize) -> Option<(Qualifier, usize)> {
    BEFORE
        .iter()
        .filter(|(words, _)| words.len() <= i)
        .filter(|(words, _)| {
            let from = i - words.len();
            words.iter().enumerate().all(|(k, w)| {
                let j = from + k;
                (k == 0 || !tokens.break_before(j)) && word_is(tokens, j, w)
            }) && !tokens.break_before(i)
        })
        .max_by_key(|(words, _)| words.len())
        .map(|(words, q)| (*q, words.len()))
}

/// A phrase of `table` starting at word `i`.
fn phrase_at(
    tokens: &Tokens<'_>,
    i: usize,
    table: &[(&[&str], Qualifier)],
) -> Option<(Qualifier, usize)> {
    table
        .iter()
        .filter(|(words, _)| i + words.len() <= tokens.len())
        .find(|(words, _)| {
            words
                .iter()
                .enumerate()
                .all(|(k, w)| !tokens.break_before(i + k) && word_is(tokens, i + k, w))
        })
        .map(|(words, q)| (*q, words.len()))
}

/// Whether word `j` reads as `w` (with an Arabic prefix or article removed if need be).
fn word_is(tokens: &Tokens<'_>, j: usize, w: &str) -> bool {
    let arabic = tokens.tokens[j].script == Script::Arabic;
    let folded = tokens.folded(j);
    folded == w
        || readings(folded, arabic)
            .into_iter()
            .flatten()
            .any(|r| r.text == w)
}

/// "between 20 and 30" / "بين 20 و30".
fn between(tokens: &Tokens<'_>, q: &mut Quantity) {
    if q.first == 0 || !matches!(tokens.folded(q.first - 1), "between" | "بين") {
        return;
    }
    let mut j = q.last + 1;
    if j < tokens.len() && matches!(tokens.folded(j), "and" | "و") {
        j += 1;
    } else {
        return;
    }
    if let Some((high, false, last)) = (j < tokens.len()).then(|| number_at(tokens, j)).flatten() {
        if high > q.value {
            q.high = Some(high);
            q.qualifier = Qualifier::Between;
            q.first -= 1;
            q.last = last;
        }
    }
}

/// Decides what a count counts: a count noun right after it ("four missiles", "hundreds of
/// families"), else a verb or noun right before it ("killing 20", "re-arrested 89",
/// "حصيلة القتلى إلى 89"), else the first telling word after it in the same clause.
fn categorise(tokens: &Tokens<'_>, tolls: &Tolls<'_, '_>, q: &Quantity) -> Category {
    let read = |j: usize| -> Option<(Category, bool)> {
        let arabic = tokens.tokens[j].script == Script::Arabic;
        let folded = tokens.folded(j);
        category_of(folded).or_else(|| {
            readings(folded, arabic)
                .into_iter()
                .flatten()
                .find_map(|r| category_of(r.text))
        })
    };
    // A count noun right after, possibly after "of"/"من".
    let mut j = q.last + 1;
    if j < tokens.len() && matches!(tokens.folded(j), "of" | "من") && !tokens.break_before(j) {
        j += 1;
    }
    if j < tokens.len() && !tokens.break_before(j) {
        if let Some((c @ (Category::Families | Category::Missiles | Category::Other), _)) = read(j)
        {
            return c;
        }
    }
    // A verb or noun right before; "rose to 181" counts the dead when the clause is about a
    // death toll ("the death toll from the battle had risen to 181").
    let mut k = q.first;
    for _ in 0..3 {
        if k == 0 || tokens.break_before(k) {
            break;
        }
        k -= 1;
        if is_conjunction(tokens.folded(k)) {
            break;
        }
        if let Some((c, _)) = read(k) {
            if c != Category::Other && c != Category::Missiles {
                return c;
            }
        }
        if forms(tokens, k).any(is_rise_word) && tolls.in_clause(k) {
            return Category::Dead;
        }
    }
    // The first telling word after, a decisive one preferred.
    let mut weak = None;
    for j in (q.last + 1..tokens.len()).take(4) {
        if tokens.break_before(j) || is_conjunction(tokens.folded(j)) {
            break;
        }
        match read(j) {
            Some((c, true)) => return c,
            Some((c, false)) => weak = weak.or(Some(c)),
            None => {}
        }
    }
    weak.unwrap_or(Category::Other)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn counts(text: &str) -> Vec<(u32, Qualifier, Category)> {
        let t = Tokens::new(text);
        quantities(&t, &vec![false; t.len()])
            .into_iter()
            .map(|q| (q.value, q.qualifier, q.category))
            .collect()
    }

    #[test]
    fn arabic_counts() {
        use Category::*;
        use Qualifier::*;
        assert_eq!(counts("سقوط أكثر من 70 قتيلا"), vec![(70, MoreThan, Dead)]);
        assert_eq!(counts("أكثر من ٧٠ قتيلاً"), vec![(70, MoreThan, Dead)]);
        assert_eq!(
            counts("ارتفعت حصيلة القتلى إلى 89"),
            vec![(89, Exact, Dead)]
        );
        assert_eq!(counts("نزوح مئات العائلات"), vec![(100, Vague, Families)]);
        assert_eq!(counts("أطلقت أربعة صواريخ"), vec![(4, Exact, Missiles)]);
        assert_eq!(counts("اعتقال 89 من الفارين"), vec![(89, Exact, Arrested)]);
        assert_eq!(
            counts("فرار ما لا يقل عن 150 سجينا"),
            vec![(150, AtLeast, Escaped)]
        );
        assert_eq!(counts("مقتل خمسة وعشرين عنصرا"), vec![(25, Exact, Dead)]);
        assert_eq!(counts("20 قتيلا على الأقل"), vec![(20, AtLeast, Dead)]);
        assert_eq!(
            counts("نزح أكثر من ٤٥ ألف شخص"),
            vec![(45_000, MoreThan, Displaced)]
        );
    }

    #[test]
    fn english_counts() {
        use Category::*;
        use Qualifier::*;
        assert_eq!(counts("at least 4 missiles"), vec![(4, AtLeast, Missiles)]);
        assert_eq!(
            counts("fired at least four missiles"),
            vec![(4, AtLeast, Missiles)]
        );
        assert_eq!(
            counts("hundreds of families fled"),
            vec![(100, Vague, Families)]
        );
        assert_eq!(
            counts("the SDF re-arrested 89 escapees"),
            vec![(89, Exact, Arrested)]
        );
        assert_eq!(
            counts("more than 150 detainees escaped"),
            vec![(150, MoreThan, Escaped)]
        );
        assert_eq!(
            counts("70 were killed and 30 arrested"),
            vec![(70, Exact, Dead), (30, Exact, Arrested)]
        );
        assert_eq!(counts("between 20 and 30 dead"), vec![(20, Between, Dead)]);
        assert_eq!(counts("1,200 families"), vec![(1200, Exact, Families)]);
        assert_eq!(
            counts("the death toll from the week-long battle had risen to 181"),
            vec![(181, Exact, Dead)]
        );
        assert_eq!(
            counts("twenty-five people were killed"),
            vec![(25, Exact, Dead)]
        );
        assert_eq!(counts("one of the guards"), vec![]);
        assert_eq!(counts("in 2022"), vec![]);
        // Numbers too large for a count are dropped; nothing overflows.
        assert_eq!(counts("4294967296 dead"), vec![]);
        let _ = counts("18446744073709551615,999 dead");
        let _ = counts("99999999999999999999,999 thousand dead");
    }
}
