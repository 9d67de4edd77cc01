//! The benchmark's baseline: the smallest `lambda_http` function (answers
//! 200 "hello" to any request), built with the same release profile as the
//! functions, so their size and cold start can be read against it.

use lambda_http::{Body, Error, Request, Response, service_fn};

fn main() -> Result<(), Error> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(lambda_http::run(service_fn(|_: Request| async {
        Ok::<_, Error>(Response::new(Body::from("hello")))
    })))
}
