//! The `routes!` macro: one line per endpoint (name, parameters, method, path, handler) from
//! which the route names, the listing `GET /v1/routes` returns, the matcher and the dispatch are
//! all generated, so no route can be served without being listed, or listed without being served.
//!
//! A path is written as the slice pattern it is matched with: `["communities", cid, "users", uid]`
//! binds `cid` and `uid`, and its route declares them (`UserGet { cid, uid }`). A parameter the
//! path does not bind, or one it binds that the route does not declare, does not compile; the
//! handler is called with exactly the names the path bound.

/// One path segment as the listing spells it: a literal as itself, a parameter as `{name}`.
macro_rules! segment {
    ($literal:literal) => {
        $literal
    };
    ($param:ident) => {
        concat!("{", stringify!($param), "}")
    };
}

/// Declares the API's routes. `serve(ctx, req)` names the dispatch function's two arguments as
/// the handlers use them (`ctx: &Ctx`, `req: &mut Request`); then one line per route:
/// `Name { params } METHOD [segments] => handler(...)` where `handler(...)` is a future of
/// `ApiResult<Response>`.
macro_rules! routes {
    (
        serve($ctx:ident, $req:ident);
        $( $route:ident { $($param:ident),* } $method:ident [$($seg:tt),*] => $handler:expr; )*
    ) => {
        /// Every endpoint, by name.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum Route {
            $($route),*
        }

        /// A request matched to its route, with the path's parameters bound by name.
        #[derive(Debug, PartialEq, Eq)]
        pub enum Matched<'p> {
            $($route { $($param: &'p str),* }),*
        }

        impl Route {
            /// The route's path as the listing and OpenAPI spell it: `/v1/users/{uid}`.
            pub const fn path(self) -> &'static str {
                match self {
                    $( Route::$route => concat!("/v1" $(, "/", segment!($seg))*) ),*
                }
            }
        }

        /// (method, path, route) for every route, in the order they are listed and matched.
        pub const ROUTES: &[(&str, &str, Route)] = &[
            $( (stringify!($method), Route::$route.path(), Route::$route) ),*
        ];

        /// The route for `method` and `path` (the segments after `v1`), with its parameters.
        pub fn find<'p>(method: &str, path: &[&'p str]) -> Option<Matched<'p>> {
            $(
                if method == stringify!($method) {
                    if let [$($seg),*] = *path {
                        return Some(Matched::$route { $($param),* });
                    }
                }
            )*
            None
        }

        impl Matched<'_> {
            pub fn route(&self) -> Route {
                match self {
                    $( Matched::$route { .. } => Route::$route ),*
                }
            }

            /// The path's parameters in order: the community's id first where there is one.
            pub fn params(&self) -> Vec<&str> {
                match self {
                    $( Matched::$route { $($param),* } => vec![$(*$param),*] ),*
                }
            }
        }

        /// Calls the matched route's handler. Each handler's future is boxed behind `dyn`, so
        /// that it is compiled as a function of its own: inlined, every handler made one state
        /// machine of about 250 KB of wasm, which a cold isolate compiles before its first answer.
        pub async fn serve(
            $ctx: &$crate::api::Ctx<'_>,
            $req: &mut ::worker::Request,
            matched: Matched<'_>,
        ) -> $crate::error::ApiResult<::worker::Response> {
            let handler: ::std::pin::Pin<Box<dyn ::std::future::Future<
                Output = $crate::error::ApiResult<::worker::Response>> + '_>> = match matched {
                $( Matched::$route { $($param),* } => Box::pin($handler) ),*
            };
            handler.await
        }
    };
}
