//! The Redis connection itself, against real servers: a standalone Redis that goes away and
//! comes back, and a 3-master Redis Cluster.

#[path = "support/redis.rs"]
mod redis_support;

use std::time::{Duration, Instant};

use mcp_toolkit::store::redis::Redis;
use redis_support::{RedisCluster, RedisServer};

#[tokio::test]
async fn an_outage_is_bounded_by_the_timeout_and_ends_by_itself() {
    let mut server = RedisServer::start();
    let redis = Redis::new(&server.url())
        .unwrap()
        .timeout(Duration::from_millis(200))
        .retry_every(Duration::from_millis(100));
    assert!(redis.ping().await);
    server.kill();
    let asked = Instant::now();
    assert!(!redis.ping().await);
    assert!(
        asked.elapsed() < Duration::from_secs(1),
        "{:?}",
        asked.elapsed()
    );
    assert!(!redis.is_available());
    // Between probes, nothing is asked at all.
    let asked = Instant::now();
    assert!(!redis.ping().await);
    assert!(asked.elapsed() < Duration::from_millis(50));
    server.restart();
    let deadline = Instant::now() + Duration::from_secs(10);
    while !redis.ping().await {
        assert!(Instant::now() < deadline, "Redis never came back");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(redis.is_available());
}

#[tokio::test]
async fn a_server_that_starts_before_redis_connects_later() {
    let mut server = RedisServer::start();
    server.kill();
    let redis = Redis::new(&server.url())
        .unwrap()
        .retry_every(Duration::from_millis(50));
    assert!(!redis.ping().await);
    server.restart();
    let deadline = Instant::now() + Duration::from_secs(10);
    while !redis.ping().await {
        assert!(Instant::now() < deadline, "never connected");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn a_cluster_answers() {
    let cluster = RedisCluster::start();
    let redis = Redis::new(&cluster.url()).unwrap();
    assert!(redis.ping().await);
}
