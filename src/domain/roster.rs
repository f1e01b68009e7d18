//! One row of an official roster (救助对象名册), as the civil-affairs
//! system exports it: which columns mean what, and whether a row is a valid
//! recipient. Problems are reported per column with a message id, so the
//! dry run can list them by row and column.
use super::{
    date_input::parse_date,
    phone::Phone,
    recipient::{categories, disability_level, AssistanceStatus, Category, DisabilityType},
    resident_id::{ResidentId, ResidentIdError},
    text,
};
use chrono::NaiveDate;

/// The columns Doudi reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Column {
    Name,
    IdNumber,
    Village,
    Address,
    Phone,
    AssistanceStatus,
    StatusSince,
    HeadIdNumber,
    Relation,
    DisabilityLevel,
    DisabilityType,
    GuardianName,
    GuardianPhone,
    GuardianRelation,
    CareNeeds,
}

impl Column {
    pub const ALL: [Self; 15] = [
        Self::Name,
        Self::IdNumber,
        Self::Village,
        Self::Address,
        Self::Phone,
        Self::AssistanceStatus,
        Self::StatusSince,
        Self::HeadIdNumber,
        Self::Relation,
        Self::DisabilityLevel,
        Self::DisabilityType,
        Self::GuardianName,
        Self::GuardianPhone,
        Self::GuardianRelation,
        Self::CareNeeds,
    ];

    pub const REQUIRED: [Self; 4] = [Self::Name, Self::IdNumber, Self::Village, Self::Address];

    /// The header Doudi writes in its own files (export, rejected rows).
    #[must_use]
    pub const fn header(self) -> &'static str {
        match self {
            Self::Name => "姓名",
            Self::IdNumber => "身份证号",
            Self::Village => "村(社区)",
            Self::Address => "家庭住址",
            Self::Phone => "联系电话",
            Self::AssistanceStatus => "救助类别",
            Self::StatusSince => "救助开始日期",
            Self::HeadIdNumber => "户主身份证号",
            Self::Relation => "与户主关系",
            Self::DisabilityLevel => "残疾等级",
            Self::DisabilityType => "残疾类别",
            Self::GuardianName => "监护人",
            Self::GuardianPhone => "监护人电话",
            Self::GuardianRelation => "监护人关系",
            Self::CareNeeds => "照护需求",
        }
    }

    /// Other headers that mean the same (as other systems and English
    /// files write them), compared without spaces and brackets.
    const fn aliases(self) -> &'static [&'static str] {
        match self {
            Self::Name => &["姓名", "救助对象姓名", "成员姓名", "name"],
            Self::IdNumber => &[
                "身份证号",
                "身份证号码",
                "公民身份号码",
                "证件号码",
                "idnumber",
                "residentid",
            ],
            Self::Village => &["村社区", "村", "社区", "所属村", "村居", "village"],
            Self::Address => &["家庭住址", "住址", "地址", "居住地址", "address"],
            Self::Phone => &["联系电话", "电话", "手机号", "手机号码", "phone"],
            Self::AssistanceStatus => &[
                "救助类别",
                "保障类别",
                "救助类型",
                "人员类别",
                "assistancestatus",
            ],
            Self::StatusSince => &["救助开始日期", "纳入日期", "保障开始日期", "statussince"],
            Self::HeadIdNumber => &["户主身份证号", "户主身份证号码", "headidnumber"],
            Self::Relation => &["与户主关系", "关系", "relation"],
            Self::DisabilityLevel => &["残疾等级", "disabilitylevel", "certificatelevel"],
            Self::DisabilityType => &["残疾类别", "残疾类型", "disabilitytype"],
            Self::GuardianName => &["监护人", "监护人姓名", "紧急联系人", "guardianname"],
            Self::GuardianPhone => &["监护人电话", "紧急联系人电话", "guardianphone"],
            Self::GuardianRelation => &["监护人关系", "guardianrelation"],
            Self::CareNeeds => &["照护需求", "需求", "备注", "careneeds"],
        }
    }

    fn matches(self, header: &str) -> bool {
        let h: String = clean_cell(header)
            .chars()
            .filter(|c| !matches!(c, ' ' | '(' | ')' | '（' | '）' | '_' | '-'))
            .flat_map(char::to_lowercase)
            .collect();
        self.aliases().iter().any(|a| *a == h)
    }
}

/// Trims a cell and removes invisible characters spreadsheets carry.
#[must_use]
pub fn clean_cell(s: &str) -> String {
    s.chars()
        .filter(|c| {
            !matches!(
                c,
                '\u{200B}'..='\u{200F}' | '\u{2060}' | '\u{FEFF}' | '\u{00AD}'
            )
        })
        .map(|c| {
            if c == '\u{3000}' || c == '\u{00A0}' {
                ' '
            } else {
                c
            }
        })
        .collect::<String>()
        .trim()
        .to_string()
}

/// Which file column holds which field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeaderMap {
    positions: Vec<(Column, usize)>,
    /// Headers Doudi does not read; reported, not an error.
    pub ignored: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HeaderError {
    #[error("required columns are missing")]
    Missing(Vec<Column>),
    #[error("a column appears twice")]
    Repeated(Column),
}

impl HeaderMap {
    /// # Errors
    /// Missing required columns, or one field named by two columns.
    pub fn parse(headers: &[String]) -> Result<Self, HeaderError> {
        let mut positions: Vec<(Column, usize)> = Vec::new();
        let mut ignored = Vec::new();
        for (i, h) in headers.iter().enumerate() {
            match Column::ALL.iter().find(|c| c.matches(h)) {
                Some(c) if positions.iter().any(|(p, _)| p == c) => {
                    return Err(HeaderError::Repeated(*c))
                }
                Some(c) => positions.push((*c, i)),
                None if clean_cell(h).is_empty() => {}
                None => ignored.push(clean_cell(h)),
            }
        }
        let missing: Vec<Column> = Column::REQUIRED
            .iter()
            .copied()
            .filter(|c| !positions.iter().any(|(p, _)| p == c))
            .collect();
        if missing.is_empty() {
            Ok(Self { positions, ignored })
        } else {
            Err(HeaderError::Missing(missing))
        }
    }

    /// The cell of `column` in `cells`, cleaned; blank when absent.
    #[must_use]
    pub fn cell(&self, cells: &[String], column: Column) -> String {
        self.positions
            .iter()
            .find(|(c, _)| *c == column)
            .and_then(|(_, i)| cells.get(*i))
            .map(|s| clean_cell(s))
            .unwrap_or_default()
    }

    /// The position of a column in the file, if present.
    #[must_use]
    pub fn position(&self, column: Column) -> Option<usize> {
        self.positions
            .iter()
            .find(|(c, _)| *c == column)
            .map(|(_, i)| *i)
    }
}

/// A roster row that passed every check.
#[derive(Debug, Clone, PartialEq)]
pub struct RosterRow {
    pub name: String,
    pub id: ResidentId,
    pub village: String,
    pub address: String,
    pub phone: Option<String>,
    pub assistance_status: AssistanceStatus,
    pub status_since: Option<NaiveDate>,
    pub head: Option<ResidentId>,
    pub relation: Option<String>,
    pub disability: Option<(i64, DisabilityType)>,
    pub guardian_name: Option<String>,
    pub guardian_phone: Option<String>,
    pub guardian_relation: Option<String>,
    pub care_needs: Option<String>,
}

/// One problem in one cell: the column and a message id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CellError {
    pub column: Column,
    pub message: &'static str,
}

fn is_formula(s: &str) -> bool {
    s.starts_with('=')
}

/// Checks one data row. `today` decides who is a minor.
///
/// # Errors
/// Every problem found in the row, by column.
pub fn parse_row(
    map: &HeaderMap,
    cells: &[String],
    today: NaiveDate,
) -> Result<RosterRow, Vec<CellError>> {
    let mut errors = Vec::new();
    let mut err =
        |column: Column, message: &'static str| errors.push(CellError { column, message });
    let get = |c: Column| map.cell(cells, c);
    for c in Column::ALL {
        if is_formula(&get(c)) {
            err(c, "error-formula");
        }
    }
    let text_of = |c: Column, max: usize, required: bool| -> Result<Option<String>, &'static str> {
        let v = get(c);
        if is_formula(&v) {
            return Ok(None);
        }
        if required {
            text::required(&v, max)
                .map(Some)
                .map_err(|e| e.message_key())
        } else {
            text::optional(Some(&v), max).map_err(|e| e.message_key())
        }
    };
    let mut field = |c: Column, max: usize, required: bool| match text_of(c, max, required) {
        Ok(v) => v,
        Err(m) => {
            err(c, m);
            None
        }
    };
    let name = field(Column::Name, 50, true);
    let village = field(Column::Village, 100, true);
    let address = field(Column::Address, 200, true);
    let relation = field(Column::Relation, 20, false);
    let guardian_name = field(Column::GuardianName, 50, false);
    let guardian_relation = field(Column::GuardianRelation, 20, false);
    let care_needs = field(Column::CareNeeds, 2000, false);

    let id = match ResidentId::parse(&get(Column::IdNumber)) {
        Ok(id) if id.birth_date() > today => {
            err(Column::IdNumber, "error-id-birth-future");
            None
        }
        Ok(id) => Some(id),
        Err(ResidentIdError::Length) if get(Column::IdNumber).is_empty() => {
            err(Column::IdNumber, "error-required");
            None
        }
        Err(e) => {
            err(Column::IdNumber, e.message_key());
            None
        }
    };
    let head = match get(Column::HeadIdNumber) {
        h if h.is_empty() => None,
        h => match ResidentId::parse(&h) {
            Ok(id) => Some(id),
            Err(e) => {
                err(Column::HeadIdNumber, e.message_key());
                None
            }
        },
    };
    let phone = |c: Column, err: &mut dyn FnMut(Column, &'static str)| match get(c) {
        p if p.is_empty() || is_formula(&p) => None,
        p => match Phone::parse(&p) {
            Ok(p) => Some(p.as_str().to_string()),
            Err(_) => {
                err(c, "error-phone");
                None
            }
        },
    };
    let own_phone = phone(Column::Phone, &mut err);
    let guardian_phone = phone(Column::GuardianPhone, &mut err);
    let assistance_status = match AssistanceStatus::from_roster(&get(Column::AssistanceStatus)) {
        Some(s) => s,
        None => {
            err(Column::AssistanceStatus, "error-assistance-status");
            AssistanceStatus::None
        }
    };
    let status_since = match get(Column::StatusSince) {
        s if s.is_empty() || is_formula(&s) => None,
        s => parse_date(&s)
            .map_err(|e| err(Column::StatusSince, e.message_key()))
            .ok(),
    };
    let level = get(Column::DisabilityLevel);
    let kind = get(Column::DisabilityType);
    let disability = match (level.is_empty(), kind.is_empty()) {
        (true, true) => None,
        (false, true) => {
            err(Column::DisabilityType, "error-disability-type");
            None
        }
        (true, false) => {
            err(Column::DisabilityLevel, "error-disability-level");
            None
        }
        (false, false) => {
            let l = disability_level(&level)
                .map_err(|_| err(Column::DisabilityLevel, "error-disability-level"))
                .ok();
            let t = DisabilityType::from_roster(&kind)
                .ok_or(())
                .map_err(|()| err(Column::DisabilityType, "error-disability-type"))
                .ok();
            l.zip(t)
        }
    };
    if let Some(id) = &id {
        let minor = categories(id.birth_date(), None, today).contains(&Category::Minor);
        if minor && (guardian_name.is_none() || guardian_phone.is_none()) {
            err(Column::GuardianName, "error-guardian-required");
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    match (name, id, village, address) {
        (Some(name), Some(id), Some(village), Some(address)) => Ok(RosterRow {
            name,
            id,
            village,
            address,
            phone: own_phone,
            assistance_status,
            status_since,
            head,
            relation,
            disability,
            guardian_name,
            guardian_phone,
            guardian_relation,
            care_needs,
        }),
        _ => Err(vec![CellError {
            column: Column::Name,
            message: "error-required",
        }]),
    }
}

/// Whether a data row is blank (trailing rows of a spreadsheet).
#[must_use]
pub fn is_blank(cells: &[String]) -> bool {
    cells.iter().all(|c| clean_cell(c).is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| (*x).to_string()).collect()
    }

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 30).unwrap()
    }

    const HEADERS: &[&str] = &[
        "姓名",
        "身份证号码",
        "村（社区）",
        "家庭住址",
        "联系电话",
        "救助类别",
        "监护人",
        "监护人电话",
        "备用",
    ];

    fn row(id: &str) -> Vec<String> {
        s(&[
            "张三丰",
            id,
            "石门村",
            "石门村3组12号",
            "13812345678",
            "低保",
            "",
            "",
            "x",
        ])
    }

    #[test]
    fn finds_columns_by_their_usual_names_and_reports_extra_ones() {
        let map = HeaderMap::parse(&s(HEADERS)).unwrap();
        assert_eq!(map.position(Column::Village), Some(2));
        assert_eq!(map.ignored, vec!["备用".to_string()]);
        let english = HeaderMap::parse(&s(&["Name", "ID number", "Village", "Address"])).unwrap();
        assert_eq!(english.position(Column::IdNumber), Some(1));
    }

    #[test]
    fn names_the_missing_and_the_repeated_columns() {
        assert_eq!(
            HeaderMap::parse(&s(&["姓名", "地址"])),
            Err(HeaderError::Missing(vec![
                Column::IdNumber,
                Column::Village
            ]))
        );
        assert_eq!(
            HeaderMap::parse(&s(&["姓名", "姓名", "身份证号", "村", "地址"])),
            Err(HeaderError::Repeated(Column::Name))
        );
    }

    #[test]
    fn reads_a_good_row() {
        let map = HeaderMap::parse(&s(HEADERS)).unwrap();
        let r = parse_row(&map, &row("11010519491231002X"), today()).unwrap();
        assert_eq!(r.name, "张三丰");
        assert_eq!(r.assistance_status, AssistanceStatus::Dibao);
        assert_eq!(r.phone.as_deref(), Some("13812345678"));
    }

    #[rstest]
    #[case("11010519491231002１", Column::IdNumber, "error-id-check")]
    #[case("=A1&B1", Column::IdNumber, "error-formula")]
    #[case("", Column::IdNumber, "error-required")]
    #[case("1.10105E+17", Column::IdNumber, "error-id-length")]
    fn reports_bad_id_numbers_by_column(
        #[case] id: &str,
        #[case] column: Column,
        #[case] message: &str,
    ) {
        let map = HeaderMap::parse(&s(HEADERS)).unwrap();
        let errors = parse_row(&map, &row(id), today()).unwrap_err();
        assert!(
            errors.contains(&CellError {
                column,
                message: Box::leak(message.to_string().into_boxed_str())
            }),
            "{errors:?}"
        );
    }

    #[test]
    fn full_width_digits_and_invisible_characters_are_normalised() {
        let map = HeaderMap::parse(&s(HEADERS)).unwrap();
        let r = parse_row(
            &map,
            &row("\u{200B}１１０１０５１９４９１２３１００２ｘ "),
            today(),
        )
        .unwrap();
        assert_eq!(r.id.as_str(), "11010519491231002X");
    }

    #[test]
    fn a_minor_needs_a_guardian() {
        let map = HeaderMap::parse(&s(HEADERS)).unwrap();
        // Born 2015-06-01.
        let first17 = "51190220150601001";
        let id = format!(
            "{first17}{}",
            crate::domain::resident_id::check_character(first17.as_bytes())
        );
        let errors = parse_row(&map, &row(&id), today()).unwrap_err();
        assert_eq!(errors[0].message, "error-guardian-required");
        let mut with_guardian = row(&id);
        with_guardian[6] = "张母".into();
        with_guardian[7] = "13912345678".into();
        assert!(parse_row(&map, &with_guardian, today()).is_ok());
    }

    #[test]
    fn reports_every_problem_of_a_row() {
        let map = HeaderMap::parse(&s(HEADERS)).unwrap();
        let bad = s(&[
            "",
            "11010519491231002X",
            "",
            "addr",
            "123",
            "富裕",
            "",
            "",
            "",
        ]);
        let cols: Vec<Column> = parse_row(&map, &bad, today())
            .unwrap_err()
            .iter()
            .map(|e| e.column)
            .collect();
        assert_eq!(
            cols,
            vec![
                Column::Name,
                Column::Village,
                Column::Phone,
                Column::AssistanceStatus
            ]
        );
    }
}
