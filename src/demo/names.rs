//! Deterministic Chinese names and addresses for demo and benchmark data:
//! the same seed gives the same people on every machine.

/// SplitMix64: tiny, fast, and good enough for fake data.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    #[must_use]
    pub const fn new(seed: u64) -> Self {
        Self(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (n > 0).
    pub fn below(&mut self, n: usize) -> usize {
        let n64 = u64::try_from(n.max(1)).unwrap_or(u64::MAX);
        usize::try_from(self.next_u64() % n64).unwrap_or(0)
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

const SURNAMES: [&str; 30] = [
    "王", "李", "张", "刘", "陈", "杨", "赵", "黄", "周", "吴", "徐", "孙", "胡", "朱", "高", "林",
    "何", "郭", "马", "罗", "梁", "宋", "郑", "谢", "韩", "唐", "冯", "于", "董", "萧",
];
const GIVEN: [&str; 40] = [
    "伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明",
    "超", "秀英", "霞", "平", "刚", "桂英", "建华", "玉兰", "文", "辉", "建国", "丹", "晓燕",
    "红梅", "志强", "海燕", "春兰", "德明", "国华", "淑珍", "长林", "秀兰", "光荣", "小红",
];

/// A plausible full name.
pub fn person(rng: &mut Rng) -> String {
    format!("{}{}", rng.pick(&SURNAMES), rng.pick(&GIVEN))
}

/// An 11-digit mobile number.
pub fn mobile(rng: &mut Rng) -> String {
    const PREFIXES: [&str; 8] = ["138", "139", "150", "151", "158", "177", "182", "199"];
    format!("{}{:08}", rng.pick(&PREFIXES), rng.below(100_000_000))
}

/// A valid resident ID number of Bazhou district (511902) for someone born
/// on `birth`, with a sequence number from `seq` (odd for men).
#[must_use]
pub fn resident_id(birth: chrono::NaiveDate, seq: u32) -> String {
    resident_id_in("511902", birth, seq)
}

/// A valid resident ID number of the 6-digit `region`.
#[must_use]
pub fn resident_id_in(region: &str, birth: chrono::NaiveDate, seq: u32) -> String {
    let first17 = format!("{region}{}{:03}", birth.format("%Y%m%d"), seq % 1000);
    format!(
        "{first17}{}",
        crate::domain::resident_id::check_character(first17.as_bytes())
    )
}

/// A house address in a village.
pub fn address(rng: &mut Rng, village: &str) -> String {
    format!("{village}{}组{}号", 1 + rng.below(12), 1 + rng.below(80))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_seed_gives_the_same_people() {
        let a: Vec<String> = {
            let mut r = Rng::new(7);
            (0..20).map(|_| person(&mut r)).collect()
        };
        let b: Vec<String> = {
            let mut r = Rng::new(7);
            (0..20).map(|_| person(&mut r)).collect()
        };
        assert_eq!(a, b);
        let mut r = Rng::new(7);
        let phone = mobile(&mut r);
        assert_eq!(phone.len(), 11);
        assert!(crate::domain::phone::Phone::parse(&phone).is_ok());
    }
}
