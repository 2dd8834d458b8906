/* consumer.c's timestamp alignment (consumer_align_ms), against librdkafka's mock cluster
 * in-process: the real Kafka protocol on loopback, a group join, fetches.
 *
 * The backlog: four partitions, each holding the same span of Kafka timestamps (3 s, one
 * message every 10 ms), on one broker. One fetch brings every partition's messages and
 * librdkafka queues them partition after partition, so in fetch order a partition's last
 * message comes before another's first: 3 s of timestamp out of order. Aligned, no message
 * may come more than consumer_align_ms after a newer one; nothing is lost, doubled or
 * reordered within its partition either way. (A partition that cannot be fetched holds the
 * others back for 500 ms at most: tests/integration/test_align_broker_down.sh.) */
#include "nf_test.h"

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include "newsflow/config.h"
#include "newsflow/consumer.h"

#define PARTS 4
#define PER_PART 300
#define T0 1700000000000LL /* Kafka timestamp of each partition's first message (ms) */
#define STEP_MS 10

typedef struct cluster {
    rd_kafka_t *rk; /* the handle that owns the mock cluster */
    rd_kafka_mock_cluster_t *mc;
    char bootstrap[256];
} cluster_t;

static void cluster_start(cluster_t *cl, const char *topic)
{
    char err[256];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    assert_int_equal(rd_kafka_conf_set(conf, "log_level", "3", err, sizeof(err)), RD_KAFKA_CONF_OK);
    cl->rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof(err));
    assert_non_null(cl->rk);
    cl->mc = rd_kafka_mock_cluster_new(cl->rk, 1);
    assert_non_null(cl->mc);
    snprintf(cl->bootstrap, sizeof(cl->bootstrap), "%s", rd_kafka_mock_cluster_bootstraps(cl->mc));
    assert_int_equal(rd_kafka_mock_topic_create(cl->mc, topic, PARTS, 1),
                     RD_KAFKA_RESP_ERR_NO_ERROR);
}

static void cluster_stop(cluster_t *cl)
{
    rd_kafka_mock_cluster_destroy(cl->mc);
    rd_kafka_destroy(cl->rk);
}

/* Every partition gets PER_PART messages stamped T0, T0 + 10 ms, ...; partition after
 * partition, so that the broker's log of each is one span. Value: "p<partition>-<i>". */
static void produce_backlog(const cluster_t *cl, const char *topic, const char *batch_messages)
{
    char err[256];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    assert_int_equal(rd_kafka_conf_set(conf, "bootstrap.servers", cl->bootstrap, err, sizeof(err)),
                     RD_KAFKA_CONF_OK);
    assert_int_equal(rd_kafka_conf_set(conf, "linger.ms", "5", err, sizeof(err)), RD_KAFKA_CONF_OK);
    /* small message sets: a small fetch size then takes a partition in many fetches */
    assert_int_equal(
        rd_kafka_conf_set(conf, "batch.num.messages", batch_messages, err, sizeof(err)),
        RD_KAFKA_CONF_OK);
    rd_kafka_t *p = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof(err));
    assert_non_null(p);
    for (int part = 0; part < PARTS; part++)
        for (int i = 0; i < PER_PART; i++) {
            char v[64];
            int n = snprintf(v, sizeof(v), "p%d-%d", part, i);
            assert_int_equal(
                rd_kafka_producev(p, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_PARTITION(part),
                                  RD_KAFKA_V_VALUE(v, (size_t)n),
                                  RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                                  RD_KAFKA_V_TIMESTAMP(T0 + i * STEP_MS), RD_KAFKA_V_END),
                RD_KAFKA_RESP_ERR_NO_ERROR);
        }
    assert_int_equal(rd_kafka_flush(p, 10000), RD_KAFKA_RESP_ERR_NO_ERROR);
    rd_kafka_destroy(p);
}

typedef struct seen {
    int64_t next[PARTS]; /* next offset expected per partition */
    int64_t newest_ts;   /* newest timestamp handed over so far */
    int64_t max_behind;  /* most a message came after a newer one (ms) */
    int count;
} seen_t;

/* Reads the whole backlog through nf_consumer_poll (stop_at_end, as `newsflow run
 * --stop-at-end`), checking each partition's order; fills *s. With stall_after > 0, partitions
 * are fetched a few messages at a time and, once that many messages came, librdkafka is told
 * to pause all of them behind the consumer's back: what it did to resumed partitions once
 * (see consumer.c, the refetch rule), which the consumer must notice and mend. */
static void consume_all(const char *bootstrap, const char *topic, const char *align_ms,
                        int stall_after, seen_t *s)
{
    char errstr[512];
    char group[64];
    snprintf(group, sizeof(group), "g-%s-%s-%d", topic, align_ms, stall_after);
    nf_config_t *cfg = nf_config_new();
    assert_non_null(cfg);
    char a_brokers[300], a_topic[128], a_group[96], a_align[64];
    snprintf(a_brokers, sizeof(a_brokers), "--brokers=%s", bootstrap);
    snprintf(a_topic, sizeof(a_topic), "--input-topic=%s", topic);
    snprintf(a_group, sizeof(a_group), "--group-id=%s", group);
    snprintf(a_align, sizeof(a_align), "--consumer-align-ms=%s", align_ms);
    char *argv[] = {"newsflow", a_brokers,       a_topic,   a_group,
                    a_align,    "--stop-at-end", "--kafka", "max.partition.fetch.bytes=200",
                    NULL};
    int argc = stall_after > 0 ? 8 : 6;
    assert_int_equal(nf_config_load(cfg, NF_CMD_RUN, argc, argv, NULL, errstr, sizeof(errstr)),
                     NF_OK);
    nf_consumer_t *c = nf_consumer_new(cfg, NULL, errstr, sizeof(errstr));
    assert_non_null(c);
    memset(s, 0, sizeof(*s));
    s->newest_ts = INT64_MIN;
    for (int tries = 0; tries < 3000 && s->count < PARTS * PER_PART; tries++) {
        if (stall_after > 0 && s->count == stall_after) {
            rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(PARTS);
            for (int part = 0; part < PARTS; part++)
                rd_kafka_topic_partition_list_add(l, topic, part);
            assert_int_equal(rd_kafka_pause_partitions(nf_consumer_handle(c), l),
                             RD_KAFKA_RESP_ERR_NO_ERROR);
            rd_kafka_topic_partition_list_destroy(l);
            stall_after = -1;
        }
        nf_message_t m;
        nf_err_t err = nf_consumer_poll(c, 10, &m);
        if (err != NF_OK)
            continue;
        assert_true(m.partition >= 0 && m.partition < PARTS);
        assert_int_equal(m.offset, s->next[m.partition]); /* in order, none lost or doubled */
        s->next[m.partition]++;
        char want[64];
        snprintf(want, sizeof(want), "p%d-%lld", m.partition, (long long)m.offset);
        assert_int_equal(m.len, strlen(want));
        assert_memory_equal(m.payload, want, m.len);
        assert_int_equal(m.timestamp_ms, T0 + m.offset * STEP_MS);
        if (s->newest_ts != INT64_MIN && s->newest_ts - m.timestamp_ms > s->max_behind)
            s->max_behind = s->newest_ts - m.timestamp_ms;
        if (m.timestamp_ms > s->newest_ts)
            s->newest_ts = m.timestamp_ms;
        s->count++;
        nf_message_release(&m);
    }
    assert_int_equal(s->count, PARTS * PER_PART);
    /* every partition at its end, nothing held back */
    for (int tries = 0; tries < 500 && !nf_consumer_all_at_end(c); tries++) {
        nf_message_t m;
        if (nf_consumer_poll(c, 10, &m) == NF_OK)
            fail_msg("a message past the backlog: partition %d offset %lld", m.partition,
                     (long long)m.offset);
    }
    assert_true(nf_consumer_all_at_end(c));
    nf_consumer_close(c);
    nf_consumer_destroy(c);
    nf_config_destroy(cfg);
}

static void test_aligned_backlog_in_timestamp_order(void **state)
{
    (void)state;
    cluster_t cl;
    cluster_start(&cl, "backlog");
    produce_backlog(&cl, "backlog", "10000");

    seen_t fetch_order, aligned;
    consume_all(cl.bootstrap, "backlog", "0", 0, &fetch_order);
    consume_all(cl.bootstrap, "backlog", "100", 0, &aligned);
    printf("max ms behind a newer message: fetch order %lld, aligned (100 ms) %lld\n",
           (long long)fetch_order.max_behind, (long long)aligned.max_behind);
    /* the scenario is the one the alignment is for: fetch order is seconds out of order */
    assert_true(fetch_order.max_behind >= 1000);
    assert_true(aligned.max_behind <= 100);
    cluster_stop(&cl);
}

/* Partitions librdkafka stopped fetching without the consumer knowing (paused behind its back
 * after 100 messages): the refetch rule resumes them and restarts their fetch at the next
 * offset, and the whole backlog still comes, in order, nothing lost or doubled. Without the
 * rule the consumer hands over what it holds and then nothing (this test then fails after
 * 30 s). */
static void test_aligned_refetches_stalled_partitions(void **state)
{
    (void)state;
    cluster_t cl;
    cluster_start(&cl, "stalled");
    produce_backlog(&cl, "stalled", "10");
    seen_t s;
    consume_all(cl.bootstrap, "stalled", "100", 100, &s);
    assert_int_equal(s.count, PARTS * PER_PART);
    cluster_stop(&cl);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_aligned_backlog_in_timestamp_order),
        cmocka_unit_test(test_aligned_refetches_stalled_partitions),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
