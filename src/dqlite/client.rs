//! [`Client`]: node addresses, timeouts, leader discovery.

use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use super::protocol::{Encoder, NodeInfo, NodeRole, Response, request};
use super::wire::{Wire, unexpected};
use super::{Connection, fail_to_error, io_err};
use crate::{Error, Result};

/// What a node reports about itself ([`Client::describe`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NodeMetadata {
    /// The node's failure domain (nodes in the same domain are expected to
    /// fail together).
    pub failure_domain: u64,
    /// The node's weight (preference when roles are assigned).
    pub weight: u64,
}

/// Settings of a [`Client`].
#[derive(Clone, Debug)]
pub(crate) struct Config {
    pub(crate) connect_timeout: Duration,
    pub(crate) request_timeout: Duration,
    pub(crate) leader_timeout: Duration,
}

/// Builds a [`Client`] with non-default timeouts.
///
/// ```no_run
/// use std::time::Duration;
/// let client = ferrolite::dqlite::Client::builder(["127.0.0.1:9001"])
///     .connect_timeout(Duration::from_secs(1))
///     .request_timeout(Duration::from_secs(5))
///     .leader_timeout(Duration::from_secs(10))
///     .connect()?;
/// # Ok::<(), ferrolite::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct ClientBuilder {
    addrs: Vec<String>,
    config: Config,
}

impl ClientBuilder {
    /// Time allowed to open a TCP connection to one node (default 2 s).
    #[must_use]
    pub fn connect_timeout(mut self, t: Duration) -> Self {
        self.config.connect_timeout = t;
        self
    }

    /// Time allowed for one read or write on a connection (default 10 s).
    #[must_use]
    pub fn request_timeout(mut self, t: Duration) -> Self {
        self.config.request_timeout = t;
        self
    }

    /// Time a call keeps looking for a leader (during an election, or
    /// after the leader stopped) before it fails (default 10 s).
    #[must_use]
    pub fn leader_timeout(mut self, t: Duration) -> Self {
        self.config.leader_timeout = t;
        self
    }

    /// Finds the leader (within the leader timeout) and returns the client.
    ///
    /// # Errors
    /// No address given, or no leader found in time (`SQLITE_IOERR`, the
    /// message lists what each node answered).
    pub fn connect(self) -> Result<Client> {
        if self.addrs.is_empty() {
            return Err(Error::InvalidParameterName(
                "dqlite: no node address given".into(),
            ));
        }
        let client = Client {
            inner: Arc::new(Inner {
                addrs: self.addrs,
                config: self.config,
                last_leader: Mutex::new(None),
                spare: Mutex::new(None),
            }),
        };
        let (wire, _, _) = client.leader_wire()?;
        // Kept for the first `open`, which saves it a leader search.
        if let Ok(mut spare) = client.inner.spare.lock() {
            *spare = Some(wire);
        }
        Ok(client)
    }
}

#[derive(Debug)]
struct Inner {
    addrs: Vec<String>,
    config: Config,
    last_leader: Mutex<Option<String>>,
    /// The connection `connect` found the leader with, until used.
    spare: Mutex<Option<Wire>>,
}

/// A dqlite cluster, known by some of its nodes' addresses. Cheap to clone
/// and `Send + Sync`; each [`Connection`] opened from it has its own TCP
/// connection to the leader.
#[derive(Clone, Debug)]
pub struct Client {
    inner: Arc<Inner>,
}

impl Client {
    /// Connects with default timeouts: see [`ClientBuilder::connect`].
    ///
    /// # Errors
    /// No address given, or no leader found within the leader timeout.
    pub fn connect<I>(addrs: I) -> Result<Client>
    where
        I: IntoIterator,
        I::Item: Into<String>,
    {
        Client::builder(addrs).connect()
    }

    /// A builder for a client of the nodes at `addrs` (`host:port`).
    pub fn builder<I>(addrs: I) -> ClientBuilder
    where
        I: IntoIterator,
        I::Item: Into<String>,
    {
        ClientBuilder {
            addrs: addrs.into_iter().map(Into::into).collect(),
            config: Config {
                connect_timeout: Duration::from_secs(2),
                request_timeout: Duration::from_secs(10),
                leader_timeout: Duration::from_secs(10),
            },
        }
    }

    pub(crate) fn config(&self) -> &Config {
        &self.inner.config
    }

    /// Opens database `name` on the leader.
    ///
    /// # Errors
    /// No leader found in time; the server's failure to open.
    pub fn open(&self, name: &str) -> Result<Connection> {
        Connection::open(self.clone(), name)
    }

    /// The current leader, as a node reports it.
    ///
    /// # Errors
    /// No leader found within the leader timeout.
    pub fn leader(&self) -> Result<NodeInfo> {
        let (_, id, address) = self.leader_wire()?;
        Ok(NodeInfo {
            id,
            address,
            role: NodeRole::Voter,
        })
    }

    /// The nodes of the cluster (id, address, role), as the leader knows
    /// them.
    ///
    /// # Errors
    /// No leader found in time; a failure of the request.
    pub fn cluster(&self) -> Result<Vec<NodeInfo>> {
        let (mut wire, _, _) = self.leader_wire()?;
        let mut e = Encoder::new();
        e.u64(1); // format 1: with roles
        match wire.call(&e.finish(request::CLUSTER, 0)) {
            Ok(Response::Servers(v)) => Ok(v),
            Ok(other) => Err(fail_to_error(unexpected(&other))),
            Err(f) => Err(fail_to_error(f)),
        }
    }

    /// The metadata of the node at `address` (any node, not only the
    /// leader): its failure domain and weight ("Describe" request).
    ///
    /// # Errors
    /// The node can't be reached; its failure answer.
    pub fn describe(&self, address: &str) -> Result<NodeMetadata> {
        let cfg = &self.inner.config;
        let mut wire = Wire::connect(address, cfg.connect_timeout, cfg.request_timeout)
            .map_err(|e| io_err(format!("dqlite: {address}: {e}")))?;
        let mut e = Encoder::new();
        e.u64(0); // format 0
        match wire.call(&e.finish(request::DESCRIBE, 0)) {
            Ok(Response::Metadata {
                failure_domain,
                weight,
            }) => Ok(NodeMetadata {
                failure_domain,
                weight,
            }),
            Ok(other) => Err(fail_to_error(unexpected(&other))),
            Err(f) => Err(fail_to_error(f)),
        }
    }

    /// A connection to the leader: the one `connect` left, else a new one.
    pub(crate) fn take_leader_wire(&self) -> Result<Wire> {
        let spare = self.inner.spare.lock().ok().and_then(|mut s| s.take());
        match spare {
            Some(w) => Ok(w),
            None => self.leader_wire().map(|(w, _, _)| w),
        }
    }

    /// A connection to the leader, retried until the leader timeout.
    pub(crate) fn leader_wire(&self) -> Result<(Wire, u64, String)> {
        let deadline = Instant::now() + self.inner.config.leader_timeout;
        let mut pause = Duration::from_millis(20);
        loop {
            match self.find_leader_once() {
                Ok(w) => return Ok(w),
                Err(why) => {
                    if Instant::now() + pause >= deadline {
                        return Err(io_err(format!(
                            "dqlite: no leader found within {:?}: {why}",
                            self.inner.config.leader_timeout
                        )));
                    }
                    thread::sleep(pause);
                    pause = (pause * 2).min(Duration::from_millis(500));
                }
            }
        }
    }

    /// One pass over the known addresses (the last leader first).
    fn find_leader_once(&self) -> std::result::Result<(Wire, u64, String), String> {
        let cfg = &self.inner.config;
        let mut candidates = Vec::with_capacity(self.inner.addrs.len() + 1);
        if let Ok(last) = self.inner.last_leader.lock() {
            if let Some(a) = last.as_ref() {
                candidates.push(a.clone());
            }
        }
        candidates.extend(self.inner.addrs.iter().cloned());
        let mut notes = Vec::new();
        for addr in candidates {
            let mut wire = match Wire::connect(&addr, cfg.connect_timeout, cfg.request_timeout) {
                Ok(w) => w,
                Err(e) => {
                    notes.push(format!("{addr}: {e}"));
                    continue;
                }
            };
            match wire.leader() {
                Ok(Some((id, leader))) if leader == addr => {
                    self.remember(&leader);
                    return Ok((wire, id, leader));
                }
                Ok(Some((_, leader))) => {
                    // Ask the node named leader whether it agrees.
                    drop(wire);
                    match Wire::connect(&leader, cfg.connect_timeout, cfg.request_timeout) {
                        Ok(mut w2) => match w2.leader() {
                            Ok(Some((id, l2))) if l2 == leader => {
                                self.remember(&leader);
                                return Ok((w2, id, leader));
                            }
                            Ok(_) => notes.push(format!("{leader}: not the leader any more")),
                            Err(f) => notes.push(format!("{leader}: {}", fail_to_error(f))),
                        },
                        Err(e) => notes.push(format!("{leader}: {e}")),
                    }
                }
                Ok(None) => notes.push(format!("{addr}: knows no leader")),
                Err(f) => notes.push(format!("{addr}: {}", fail_to_error(f))),
            }
        }
        Err(notes.join("; "))
    }

    fn remember(&self, leader: &str) {
        if let Ok(mut last) = self.inner.last_leader.lock() {
            *last = Some(leader.to_owned());
        }
    }

    /// Forgets the last leader (it stopped answering as one).
    pub(crate) fn forget_leader(&self) {
        if let Ok(mut last) = self.inner.last_leader.lock() {
            *last = None;
        }
    }
}
