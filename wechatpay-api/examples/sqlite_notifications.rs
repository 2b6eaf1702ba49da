//! Notifications handled once, with the handled ids in a database: `HandledNotifications` on
//! SQLite (`rusqlite`), one table, so that every instance of a service, and the same service
//! after a restart, sees which notifications were handled. The route is the axum one of
//! `axum_notifications` (feature `axum`); only the store differs.
//!
//! Runs against the embedded mock, with the database in a temporary folder: the service handles
//! a notification, acknowledges it delivered again, fails another; it is restarted on the same
//! database file, acknowledges the first without handling it again and handles the one that
//! failed; a claim left by an instance that crashed is refused until its lease runs out, then
//! taken over. It exits non-zero if the handler ran other than once for each.
//!
//! `cargo run -p wechatpay-api --features axum --example sqlite_notifications`

use std::collections::HashMap;
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::extract::{FromRef, State};
use axum::routing::post;
use rusqlite::{Connection, OptionalExtension as _, TransactionBehavior, params};
use serde_json::json;
use tokio::sync::oneshot;
use wechatpay_api::axum::Delivery;
use wechatpay_api::{
    Claim, Event, HandledNotifications, NotificationAnswer, NotificationHandler, StoreFuture,
};
use wechatpay_mock::{MockPlatform, SignedNotification};

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// The lease of a claim, short for the demonstration; `RecentNotifications::DEFAULT_LEASE` (60
/// s) in production: longer than your handler ever takes.
const LEASE: Duration = Duration::from_secs(1);

/// The ids of notifications, each `handling` (claimed at `claimed_at`, in Unix milliseconds) or
/// `handled`. Rows of handled notifications can be deleted after a few days (WeChat Pay stops
/// delivering after about 24 hours): `DELETE FROM handled_notifications WHERE state = 'handled'
/// AND claimed_at < ?`.
const SCHEMA: &str = "
    PRAGMA journal_mode = WAL;
    CREATE TABLE IF NOT EXISTS handled_notifications (
        id         TEXT PRIMARY KEY,
        state      TEXT NOT NULL CHECK (state IN ('handling', 'handled')),
        claimed_at INTEGER NOT NULL
    ) WITHOUT ROWID;
";

/// `HandledNotifications` on a SQLite database file. SQLite calls block, so each runs on tokio's
/// blocking pool (`spawn_blocking`), never on the thread that serves requests. One connection
/// behind a mutex: SQLite writes one transaction at a time anyway; another process (a second
/// instance on the same file) waits for the lock up to the busy timeout.
///
/// `release` deletes a claim only if it is still the one this instance made (its `claimed_at`):
/// a handler that outlived its lease, and whose claim another instance took over, must not
/// delete the other's claim when it fails.
struct SqliteNotifications {
    db: Arc<Mutex<Connection>>,
    lease: Duration,
    /// The `claimed_at` of each claim this instance holds.
    mine: Arc<Mutex<HashMap<String, i64>>>,
}

impl SqliteNotifications {
    /// Opens (or creates) the database at `path`.
    fn open(path: &Path, lease: Duration) -> rusqlite::Result<Self> {
        let db = Connection::open(path)?;
        db.busy_timeout(Duration::from_secs(5))?;
        db.execute_batch(SCHEMA)?;
        Ok(Self {
            db: Arc::new(Mutex::new(db)),
            lease,
            mine: Arc::default(),
        })
    }

    /// Runs `query` on the connection, on the blocking pool.
    fn run<T: Send + 'static>(
        &self,
        query: impl FnOnce(&mut Connection) -> rusqlite::Result<T> + Send + 'static,
    ) -> StoreFuture<'_, T> {
        let db = self.db.clone();
        Box::pin(async move {
            let answer = tokio::task::spawn_blocking(move || {
                let mut db = db.lock().unwrap_or_else(|e| e.into_inner());
                query(&mut db)
            })
            .await?;
            Ok(answer?)
        })
    }
}

/// Milliseconds since the Unix epoch.
fn now_ms() -> i64 {
    let since = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    i64::try_from(since.as_millis()).unwrap_or(i64::MAX)
}

/// The claim, in one immediate transaction: it takes the write lock before reading, so no other
/// connection or process can claim the same id between the read and the write.
fn claim(db: &mut Connection, id: &str, lease: Duration, now: i64) -> rusqlite::Result<Claim> {
    let lease_ms = i64::try_from(lease.as_millis()).unwrap_or(i64::MAX);
    let tx = db.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let row: Option<(String, i64)> = tx
        .query_row(
            "SELECT state, claimed_at FROM handled_notifications WHERE id = ?1",
            [id],
            |row| Ok((row.get(0)?, row.get(1)?)),
        )
        .optional()?;
    let claim = match row {
        None => {
            tx.execute(
                "INSERT INTO handled_notifications (id, state, claimed_at) \
                 VALUES (?1, 'handling', ?2)",
                params![id, now],
            )?;
            Claim::First
        }
        Some((state, _)) if state == "handled" => Claim::Handled,
        Some((_, claimed_at)) if now.saturating_sub(claimed_at) < lease_ms => Claim::Handling,
        // A claim past its lease: its handler crashed or was cancelled. Take it over.
        Some(_) => {
            tx.execute(
                "UPDATE handled_notifications SET claimed_at = ?2 WHERE id = ?1",
                params![id, now],
            )?;
            Claim::First
        }
    };
    tx.commit()?;
    Ok(claim)
}

impl HandledNotifications for SqliteNotifications {
    fn claim<'a>(&'a self, id: &'a str) -> StoreFuture<'a, Claim> {
        let (key, lease, mine) = (id.to_owned(), self.lease, self.mine.clone());
        self.run(move |db| {
            let now = now_ms();
            let claim = claim(db, &key, lease, now)?;
            if claim == Claim::First {
                mine.lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .insert(key, now);
            }
            Ok(claim)
        })
    }

    /// Marks the id handled whoever holds the claim now: the handler did succeed, so a
    /// delivery after this one must not run it again (an upsert, should the row be gone).
    fn complete<'a>(&'a self, id: &'a str) -> StoreFuture<'a, ()> {
        let key = id.to_owned();
        self.mine
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&key);
        self.run(move |db| {
            db.execute(
                "INSERT INTO handled_notifications (id, state, claimed_at) VALUES (?1, 'handled', ?2) \
                 ON CONFLICT (id) DO UPDATE SET state = 'handled'",
                params![key, now_ms()],
            )
            .map(drop)
        })
    }

    fn release<'a>(&'a self, id: &'a str) -> StoreFuture<'a, ()> {
        let key = id.to_owned();
        let claimed_at = self
            .mine
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&key);
        self.run(move |db| match claimed_at {
            // Only the claim this instance made; one another instance took over stays.
            Some(claimed_at) => db
                .execute(
                    "DELETE FROM handled_notifications \
                     WHERE id = ?1 AND state = 'handling' AND claimed_at = ?2",
                    params![key, claimed_at],
                )
                .map(drop),
            None => Ok(()),
        })
    }
}

/// The service's state.
#[derive(Clone)]
struct App {
    handler: NotificationHandler,
    handled: Arc<dyn HandledNotifications>,
    /// What the business logic did: how many times it ran.
    runs: Arc<AtomicUsize>,
    /// Whether the system the handler calls is down (its failure asks for a redelivery).
    down: Arc<AtomicBool>,
}

impl FromRef<App> for NotificationHandler {
    fn from_ref(app: &App) -> Self {
        app.handler.clone()
    }
}

impl FromRef<App> for Arc<dyn HandledNotifications> {
    fn from_ref(app: &App) -> Self {
        app.handled.clone()
    }
}

async fn on_notification(State(app): State<App>, delivery: Delivery) -> NotificationAnswer {
    delivery
        .handle_once(|notification, event: Event| async move {
            if app.down.load(Ordering::SeqCst) {
                return Err("the order system is down");
            }
            app.runs.fetch_add(1, Ordering::SeqCst);
            println!("  handled {}: {}", notification.id, event.event_type());
            Ok(())
        })
        .await
}

/// A running instance of the service: its URL, and how to stop it.
struct Service {
    url: String,
    stop: oneshot::Sender<()>,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl Service {
    async fn start(app: App) -> Result<Self, BoxError> {
        let router = Router::new()
            .route("/wechatpay/notify", post(on_notification))
            .with_state(app);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let url = format!("http://{}/wechatpay/notify", listener.local_addr()?);
        let (stop, stopped) = oneshot::channel();
        let task = tokio::spawn(async move {
            axum::serve(listener, router)
                .with_graceful_shutdown(async {
                    let _ = stopped.await;
                })
                .await
        });
        Ok(Self { url, stop, task })
    }

    /// Stops it: the state, and with it the database connection, is dropped.
    async fn stop(self) -> Result<(), BoxError> {
        let _ = self.stop.send(());
        Ok(self.task.await??)
    }
}

/// Delivers `sent` to `service`, and checks the answer and the runs of the handler so far.
async fn deliver(
    mock: &MockPlatform,
    service: &Service,
    runs: &AtomicUsize,
    sent: &SignedNotification,
    (status, ran): (u16, usize),
    what: &str,
) -> Result<(), BoxError> {
    let (answered, _) = mock.send_notification(&service.url, sent).await?;
    let seen = runs.load(Ordering::SeqCst);
    println!("{what}: answered {answered}, the handler has run {seen} time(s)");
    if (answered, seen) != (status, ran) {
        return Err(format!("{what}: expected {status} after {ran} run(s)").into());
    }
    Ok(())
}

#[tokio::main]
async fn main() -> Result<(), BoxError> {
    let folder = tempfile::tempdir()?;
    let database = folder.path().join("notifications.sqlite3");
    let mock = MockPlatform::start()?;
    let client = mock
        .credentials()
        .client_builder(mock.base_url())?
        .build()?;
    let handler = client.notification_handler()?;
    let runs = Arc::new(AtomicUsize::new(0));
    let down = Arc::new(AtomicBool::new(false));
    let app = |store: SqliteNotifications| App {
        handler: handler.clone(),
        handled: Arc::new(store),
        runs: runs.clone(),
        down: down.clone(),
    };
    let complaint = |n: u32| {
        let resource = json!({"complaint_id": format!("20020182020010108007661000{n}"), "action_type": "CREATE_COMPLAINT"});
        mock.notification(
            "COMPLAINT.CREATE",
            "产生新投诉",
            "complaint",
            &resource,
            None,
        )
    };
    let (first, second, third) = (complaint(1), complaint(2), complaint(3));

    println!("the service, on {}", database.display());
    let service = Service::start(app(SqliteNotifications::open(&database, LEASE)?)).await?;
    deliver(&mock, &service, &runs, &first, (204, 1), "a notification").await?;
    deliver(&mock, &service, &runs, &first, (204, 1), "the same again").await?;
    down.store(true, Ordering::SeqCst);
    let failed = "another, while the order system is down";
    deliver(&mock, &service, &runs, &second, (500, 1), failed).await?;
    down.store(false, Ordering::SeqCst);
    service.stop().await?;

    println!("the service, restarted on the same database");
    let service = Service::start(app(SqliteNotifications::open(&database, LEASE)?)).await?;
    let again = "the first delivered again";
    deliver(&mock, &service, &runs, &first, (204, 1), again).await?;
    let released = "the one that failed, delivered again";
    deliver(&mock, &service, &runs, &second, (204, 2), released).await?;

    // Another instance on the same database claims a notification and crashes before it is
    // handled: its claim holds until the lease runs out.
    let id = handler.parse(&third.headers, &third.body)?.id;
    let crashed = SqliteNotifications::open(&database, LEASE)?;
    if crashed.claim(&id).await? != Claim::First {
        return Err("the crashed instance's claim was not the first".into());
    }
    drop(crashed);
    let held = "a notification claimed by an instance that crashed";
    deliver(&mock, &service, &runs, &third, (500, 2), held).await?;
    tokio::time::sleep(LEASE).await;
    let taken = "the same, once the claim's lease ran out";
    deliver(&mock, &service, &runs, &third, (204, 3), taken).await?;
    service.stop().await?;
    println!("three notifications, each handled once");
    Ok(())
}
