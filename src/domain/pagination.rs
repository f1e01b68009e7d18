//! Page numbers from a query string, bounded so that no request can ask for
//! an unbounded page.
use serde::Serialize;

pub const DEFAULT_PER_PAGE: u64 = 25;
pub const MAX_PER_PAGE: u64 = 100;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageRequest {
    page: u64,
    per_page: u64,
}

impl PageRequest {
    /// Reads `page` and `per_page` as given; nonsense falls back to the
    /// first page and the default size, and sizes are capped.
    #[must_use]
    pub fn parse(page: Option<&str>, per_page: Option<&str>) -> Self {
        let page = page
            .and_then(|p| p.trim().parse::<u64>().ok())
            .filter(|p| *p >= 1)
            .unwrap_or(1);
        let per_page = per_page
            .and_then(|p| p.trim().parse::<u64>().ok())
            .filter(|p| *p >= 1)
            .map_or(DEFAULT_PER_PAGE, |p| p.min(MAX_PER_PAGE));
        Self { page, per_page }
    }

    #[must_use]
    pub const fn page(self) -> u64 {
        self.page
    }

    #[must_use]
    pub const fn per_page(self) -> u64 {
        self.per_page
    }

    /// Zero-based page index, as sea-orm's paginator counts.
    #[must_use]
    pub const fn index(self) -> u64 {
        self.page - 1
    }
}

impl Default for PageRequest {
    fn default() -> Self {
        Self::parse(None, None)
    }
}

/// Where a page sits in the whole list.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct PageInfo {
    pub page: u64,
    pub per_page: u64,
    pub total: u64,
    pub pages: u64,
}

impl PageInfo {
    #[must_use]
    pub const fn new(request: PageRequest, total: u64) -> Self {
        Self {
            page: request.page,
            per_page: request.per_page,
            total,
            pages: total.div_ceil(request.per_page),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    #[rstest]
    #[case(None, None, 1, DEFAULT_PER_PAGE)]
    #[case(Some("3"), Some("10"), 3, 10)]
    #[case(Some("0"), Some("0"), 1, DEFAULT_PER_PAGE)]
    #[case(Some("-2"), Some("abc"), 1, DEFAULT_PER_PAGE)]
    #[case(Some("2"), Some("100000"), 2, MAX_PER_PAGE)]
    fn page_requests_are_bounded(
        #[case] page: Option<&str>,
        #[case] per_page: Option<&str>,
        #[case] expected_page: u64,
        #[case] expected_per_page: u64,
    ) {
        let req = PageRequest::parse(page, per_page);
        assert_eq!(
            (req.page(), req.per_page()),
            (expected_page, expected_per_page)
        );
    }

    #[rstest]
    #[case(0, 0)]
    #[case(1, 1)]
    #[case(25, 1)]
    #[case(26, 2)]
    fn page_counts_round_up(#[case] total: u64, #[case] pages: u64) {
        assert_eq!(PageInfo::new(PageRequest::default(), total).pages, pages);
    }
}
