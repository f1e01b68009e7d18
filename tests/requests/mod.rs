mod api_auth;
mod audit_page;
mod errors;
mod i18n;
mod places;
mod scope;
mod sessions;
mod users;
