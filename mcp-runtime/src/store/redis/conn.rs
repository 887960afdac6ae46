//! The connection: one node (redis-rs' multiplexed connection manager) or a cluster (its
//! cluster connection), made on first use, and made anew after an outage.
//!
//! Both kinds pipeline every caller's commands over one socket per node, so a call costs one
//! round trip and no connection checkout.

use std::sync::Mutex;
use std::time::Duration;

use redis::aio::{ConnectionLike, ConnectionManager, ConnectionManagerConfig};
use redis::cluster::ClusterClient;
use redis::cluster_async::ClusterConnection;
use redis::{Cmd, IntoConnectionInfo, Pipeline, RedisError, RedisFuture, RedisResult, Value};

/// Redis could not be asked (away, slow, or refusing the command); the caller goes on
/// without it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Unavailable;

/// Where Redis is, and the live connection once there is one.
pub(crate) struct Connection {
    target: Target,
    timeout: Duration,
    live: Mutex<Option<Handle>>,
    /// Serializes connecting, so a burst of first calls makes one connection.
    connecting: tokio::sync::Mutex<()>,
}

#[derive(Clone)]
enum Target {
    Single(redis::Client),
    Cluster(Vec<redis::ConnectionInfo>),
}

/// A connection for one operation: clones share the socket(s).
#[derive(Clone)]
pub(crate) enum Handle {
    Single(ConnectionManager),
    Cluster(ClusterConnection),
}

/// The cluster URL scheme: `redis-cluster://host:port[,host:port...]`.
const CLUSTER_SCHEME: &str = "redis-cluster://";

impl Connection {
    pub(crate) fn parse(url: &str, timeout: Duration) -> RedisResult<Connection> {
        if let Some(nodes) = url.strip_prefix(CLUSTER_SCHEME) {
            let nodes: Vec<String> = nodes.split(',').map(|n| format!("redis://{n}")).collect();
            return Connection::cluster(&nodes, timeout);
        }
        Ok(Connection::new(
            Target::Single(redis::Client::open(url)?),
            timeout,
        ))
    }

    pub(crate) fn cluster(nodes: &[String], timeout: Duration) -> RedisResult<Connection> {
        let nodes = nodes
            .iter()
            .map(|node| node.as_str().into_connection_info())
            .collect::<RedisResult<Vec<_>>>()?;
        if nodes.is_empty() {
            return Err(RedisError::from((
                redis::ErrorKind::InvalidClientConfig,
                "a Redis Cluster needs at least one node",
            )));
        }
        Ok(Connection::new(Target::Cluster(nodes), timeout))
    }

    fn new(target: Target, timeout: Duration) -> Connection {
        Connection {
            target,
            timeout,
            live: Mutex::new(None),
            connecting: tokio::sync::Mutex::new(()),
        }
    }

    /// The same target, not connected.
    pub(crate) fn fresh(&self) -> Connection {
        Connection::new(self.target.clone(), self.timeout)
    }

    pub(crate) fn set_timeout(&mut self, timeout: Duration) {
        self.timeout = timeout;
    }

    pub(crate) fn describe(&self) -> String {
        match &self.target {
            Target::Single(client) => client.get_connection_info().addr().to_string(),
            Target::Cluster(nodes) => {
                let nodes: Vec<String> = nodes.iter().map(|n| n.addr().to_string()).collect();
                format!("cluster {}", nodes.join(","))
            }
        }
    }

    /// The live connection, connecting first when there is none.
    pub(crate) async fn handle(&self, timeout: Duration) -> RedisResult<Handle> {
        if let Some(handle) = crate::sync::lock(&self.live).clone() {
            return Ok(handle);
        }
        let _one = self.connecting.lock().await;
        if let Some(handle) = crate::sync::lock(&self.live).clone() {
            return Ok(handle);
        }
        let handle = self.connect(timeout, None).await?;
        *crate::sync::lock(&self.live) = Some(handle.clone());
        Ok(handle)
    }

    /// Forgets the live connection (after an outage): the next operation connects anew rather
    /// than trusting a connection that lost its node(s).
    pub(crate) fn reset(&self) {
        crate::sync::lock(&self.live).take();
    }

    /// A new connection; with `push`, in RESP3 and delivering pub/sub messages to it.
    pub(crate) async fn connect(
        &self,
        timeout: Duration,
        push: Option<super::pubsub::PushSink>,
    ) -> RedisResult<Handle> {
        match &self.target {
            Target::Single(client) => {
                let mut config = ConnectionManagerConfig::new()
                    .set_connection_timeout(Some(timeout))
                    .set_response_timeout(Some(timeout))
                    // Reconnecting is ours to pace (`Health`): a refused connection fails at
                    // once rather than after redis-rs' back-off.
                    .set_number_of_retries(0)
                    .set_max_delay(timeout);
                let client = match push {
                    Some(push) => {
                        config = config.set_push_sender(push);
                        let info = client.get_connection_info().clone();
                        let redis = info
                            .redis_settings()
                            .clone()
                            .set_protocol(redis::ProtocolVersion::RESP3);
                        redis::Client::open(info.set_redis_settings(redis))?
                    }
                    None => client.clone(),
                };
                let manager = ConnectionManager::new_with_config(client, config).await?;
                Ok(Handle::Single(manager))
            }
            Target::Cluster(nodes) => {
                let mut builder = ClusterClient::builder(nodes.clone())
                    .connection_timeout(timeout)
                    .response_timeout(timeout)
                    .retries(0);
                if let Some(push) = push {
                    builder = builder
                        .use_protocol(redis::ProtocolVersion::RESP3)
                        .push_sender(push);
                }
                let connection = builder.build()?.get_async_connection().await?;
                Ok(Handle::Cluster(connection))
            }
        }
    }
}

impl Handle {
    /// Subscribes this (RESP3) connection to `channel`.
    pub(crate) async fn subscribe(&mut self, channel: &str) -> RedisResult<()> {
        match self {
            Handle::Single(conn) => conn.subscribe(channel).await,
            Handle::Cluster(conn) => conn.subscribe(channel).await,
        }
    }
}

impl ConnectionLike for Handle {
    fn req_packed_command<'a>(&'a mut self, cmd: &'a Cmd) -> RedisFuture<'a, Value> {
        match self {
            Handle::Single(conn) => conn.req_packed_command(cmd),
            Handle::Cluster(conn) => conn.req_packed_command(cmd),
        }
    }

    fn req_packed_commands<'a>(
        &'a mut self,
        pipeline: &'a Pipeline,
        offset: usize,
        count: usize,
    ) -> RedisFuture<'a, Vec<Value>> {
        match self {
            Handle::Single(conn) => conn.req_packed_commands(pipeline, offset, count),
            Handle::Cluster(conn) => conn.req_packed_commands(pipeline, offset, count),
        }
    }

    fn get_db(&self) -> i64 {
        match self {
            Handle::Single(conn) => conn.get_db(),
            Handle::Cluster(conn) => conn.get_db(),
        }
    }
}
