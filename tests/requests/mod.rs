mod api_auth;
mod errors;
mod i18n;
mod places;
mod scope;
mod sessions;
mod users;
