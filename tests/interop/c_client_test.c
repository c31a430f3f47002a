/* Exercises a server through the stock ZooKeeper C client (libzookeeper_mt): the sync API,
 * the async API with completions, watcher functions, multi, ACLs and digest auth.
 * Usage: c_client_test HOST:PORT DIGEST_ID   (DIGEST_ID = "alice:" + base64(sha1("alice:secret")))
 * Prints every failed check; exit status 0 only when all checks passed. */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#ifndef THREADED
#define THREADED /* the sync API is declared only for the multi-threaded library */
#endif
#include <zookeeper/zookeeper.h>

enum { WAIT_MS = 20000, MAX_EVENTS = 64, PIPELINED = 200 };

static int checks_failed;
static int checks_run;
static char root[64];
static const char *digest_id;

#define CHECK(cond, ...) check_((cond), __LINE__, #cond, __VA_ARGS__)
#define CHECK_RC(call, want) \
  do { int rc_ = (call); CHECK(rc_ == (want), "%s: got %s (%d), want %s (%d)", #call, \
                               zerror(rc_), rc_, zerror(want), (want)); } while (0)

static void check_(int ok, int line, const char *expr, const char *fmt, ...) {
  checks_run++;
  if (ok) return;
  checks_failed++;
  fprintf(stderr, "FAILED line %d: %s: ", line, expr);
  va_list ap;
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fputc('\n', stderr);
}

static void path_of(char *out, size_t size, const char *suffix) {
  snprintf(out, size, "%s%s", root, suffix);
}

/* ---- waiting for callbacks (completion thread) with a bound ---------------------------- */

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t changed = PTHREAD_COND_INITIALIZER;

static void deadline_in(struct timespec *ts, int ms) {
  clock_gettime(CLOCK_REALTIME, ts);
  ts->tv_sec += ms / 1000;
  ts->tv_nsec += (long)(ms % 1000) * 1000000L;
  if (ts->tv_nsec >= 1000000000L) { ts->tv_sec++; ts->tv_nsec -= 1000000000L; }
}

/* Waits until *counter >= target; returns 0 on timeout. */
static int wait_count(const int *counter, int target) {
  struct timespec deadline;
  deadline_in(&deadline, WAIT_MS);
  int ok = 1;
  pthread_mutex_lock(&lock);
  while (*counter < target && ok)
    ok = pthread_cond_timedwait(&changed, &lock, &deadline) != ETIMEDOUT;
  ok = *counter >= target;
  pthread_mutex_unlock(&lock);
  return ok;
}

static void bump(int *counter) {
  pthread_mutex_lock(&lock);
  (*counter)++;
  pthread_cond_broadcast(&changed);
  pthread_mutex_unlock(&lock);
}

/* ---- watchers ---------------------------------------------------------------------------- */

struct event { int type; int state; char path[128]; };
struct recorder { int count; struct event events[MAX_EVENTS]; int connected; };

static void record_event(zhandle_t *zh, int type, int state, const char *path, void *ctx) {
  (void)zh;
  struct recorder *r = ctx;
  pthread_mutex_lock(&lock);
  if (type == ZOO_SESSION_EVENT) {
    if (state == ZOO_CONNECTED_STATE) r->connected = 1;
  } else if (r->count < MAX_EVENTS) {
    struct event *e = &r->events[r->count++];
    e->type = type;
    e->state = state;
    snprintf(e->path, sizeof e->path, "%s", path ? path : "");
  }
  pthread_cond_broadcast(&changed);
  pthread_mutex_unlock(&lock);
}

static int event_is(const struct recorder *r, int i, int type, const char *path) {
  return i < r->count && r->events[i].type == type && strcmp(r->events[i].path, path) == 0 &&
         r->events[i].state == ZOO_CONNECTED_STATE;
}

static zhandle_t *connect_to(const char *hostport, struct recorder *r) {
  memset(r, 0, sizeof *r);
  zhandle_t *zh = zookeeper_init(hostport, record_event, 10000, NULL, r, 0);
  if (zh == NULL) return NULL;
  if (!wait_count(&r->connected, 1)) {
    fprintf(stderr, "could not connect to %s\n", hostport);
    zookeeper_close(zh);
    return NULL;
  }
  return zh;
}

/* A sync call on the watching handle: the C client runs watcher callbacks and completions
 * on one thread in arrival order, and events caused by an earlier write arrive before this
 * reply, so once it returns every such watcher has already run. */
static void barrier(zhandle_t *zh) {
  struct Stat st;
  CHECK_RC(zoo_exists(zh, "/", 0, &st), ZOK);
}

/* ---- sync API ---------------------------------------------------------------------------- */

static void test_sync_create_modes(zhandle_t *zh) {
  char path[128], out[256];
  struct Stat st;
  CHECK_RC(zoo_create(zh, root, "r", 1, &ZOO_OPEN_ACL_UNSAFE, ZOO_PERSISTENT, out, sizeof out),
           ZOK);
  CHECK(strcmp(out, root) == 0, "created %s", out);
  CHECK_RC(zoo_create(zh, root, "r", 1, &ZOO_OPEN_ACL_UNSAFE, ZOO_PERSISTENT, NULL, 0),
           ZNODEEXISTS);
  path_of(path, sizeof path, "/missing/child");
  CHECK_RC(zoo_create(zh, path, "", 0, &ZOO_OPEN_ACL_UNSAFE, ZOO_PERSISTENT, NULL, 0), ZNONODE);

  path_of(path, sizeof path, "/eph");
  CHECK_RC(zoo_create(zh, path, NULL, -1, &ZOO_OPEN_ACL_UNSAFE, ZOO_EPHEMERAL, NULL, 0), ZOK);
  CHECK_RC(zoo_exists(zh, path, 0, &st), ZOK);
  CHECK(st.ephemeralOwner == zoo_client_id(zh)->client_id, "ephemeralOwner %lld",
        (long long)st.ephemeralOwner);
  CHECK(st.dataLength == 0, "null data has length %d", st.dataLength);
  path_of(path, sizeof path, "/eph/child");
  CHECK_RC(zoo_create(zh, path, "", 0, &ZOO_OPEN_ACL_UNSAFE, ZOO_PERSISTENT, NULL, 0),
           ZNOCHILDRENFOREPHEMERALS);

  char want[256];
  path_of(path, sizeof path, "/seq-");
  CHECK_RC(zoo_create(zh, path, "", 0, &ZOO_OPEN_ACL_UNSAFE, ZOO_PERSISTENT_SEQUENTIAL, out,
                      sizeof out), ZOK);
  snprintf(want, sizeof want, "%s0000000001", path);  /* /eph was child number 0 */
  CHECK(strcmp(out, want) == 0, "sequential got %s want %s", out, want);
  CHECK_RC(zoo_create(zh, path, "", 0, &ZOO_OPEN_ACL_UNSAFE, ZOO_EPHEMERAL_SEQUENTIAL, out,
                      sizeof out), ZOK);
  snprintf(want, sizeof want, "%s0000000002", path);
  CHECK(strcmp(out, want) == 0, "ephemeral sequential got %s want %s", out, want);

  path_of(path, sizeof path, "/container");
  CHECK_RC(zoo_create2(zh, path, "c", 1, &ZOO_OPEN_ACL_UNSAFE, ZOO_CONTAINER, out, sizeof out,
                       &st), ZOK);
  CHECK(st.ephemeralOwner == 0 && st.dataLength == 1, "container stat owner %lld len %d",
        (long long)st.ephemeralOwner, st.dataLength);
  path_of(path, sizeof path, "/ttl");
  CHECK_RC(zoo_create2_ttl(zh, path, "t", 1, &ZOO_OPEN_ACL_UNSAFE, ZOO_PERSISTENT_WITH_TTL,
                           60000, out, sizeof out, &st), ZOK);
  CHECK(st.czxid == st.mzxid && st.ephemeralOwner == 0, "ttl stat");
  path_of(path, sizeof path, "/ttl-bad");
  CHECK_RC(zoo_create_ttl(zh, path, "", 0, &ZOO_OPEN_ACL_UNSAFE, ZOO_PERSISTENT_WITH_TTL, 0,
                          NULL, 0), ZBADARGUMENTS);
}

static void test_sync_data(zhandle_t *zh) {
  char path[128], buf[64];
  struct Stat st, st2;
  int len = sizeof buf;
  path_of(path, sizeof path, "/data");
  CHECK_RC(zoo_create(zh, path, "v0", 2, &ZOO_OPEN_ACL_UNSAFE, ZOO_PERSISTENT, NULL, 0), ZOK);
  CHECK_RC(zoo_get(zh, path, 0, buf, &len, &st), ZOK);
  CHECK(len == 2 && memcmp(buf, "v0", 2) == 0, "get returned %d bytes", len);
  CHECK(st.version == 0 && st.dataLength == 2, "version %d dataLength %d", st.version,
        st.dataLength);
  CHECK_RC(zoo_set(zh, path, "v1", 2, 0), ZOK);
  CHECK_RC(zoo_set(zh, path, "v2", 2, 0), ZBADVERSION);
  CHECK_RC(zoo_set2(zh, path, "value-2", 7, 1, &st2), ZOK);
  CHECK(st2.version == 2 && st2.dataLength == 7 && st2.czxid == st.czxid &&
        st2.mzxid > st.mzxid && st2.ctime == st.ctime, "set2 stat");
  len = 3;  /* a short buffer gets the first bytes; the stat still has the full length */
  CHECK_RC(zoo_get(zh, path, 0, buf, &len, &st), ZOK);
  CHECK(len == 3 && memcmp(buf, "val", 3) == 0 && st.dataLength == 7, "short get %d", len);
  CHECK_RC(zoo_exists(zh, path, 0, &st), ZOK);
  CHECK(st.version == 2, "exists version %d", st.version);
  char nothing[128];
  path_of(nothing, sizeof nothing, "/nothing");
  CHECK_RC(zoo_exists(zh, nothing, 0, &st), ZNONODE);
  len = sizeof buf;
  CHECK_RC(zoo_get(zh, nothing, 0, buf, &len, &st), ZNONODE);
}

static void test_sync_children_and_delete(zhandle_t *zh) {
  char path[128], child[160];
  struct String_vector children;
  struct Stat st;
  path_of(path, sizeof path, "/kids");
  CHECK_RC(zoo_create(zh, path, "", 0, &ZOO_OPEN_ACL_UNSAFE, ZOO_PERSISTENT, NULL, 0), ZOK);
  for (int i = 0; i < 3; i++) {
    snprintf(child, sizeof child, "%s/k%d", path, i);
    CHECK_RC(zoo_create(zh, child, "", 0, &ZOO_OPEN_ACL_UNSAFE, ZOO_PERSISTENT, NULL, 0), ZOK);
  }
  CHECK_RC(zoo_get_children2(zh, path, 0, &children, &st), ZOK);
  CHECK(children.count == 3 && st.numChildren == 3 && st.cversion == 3, "children %d/%d/%d",
        children.count, st.numChildren, st.cversion);
  int seen = 0;
  for (int i = 0; i < children.count; i++)
    for (int k = 0; k < 3; k++) {
      char name[8];
      snprintf(name, sizeof name, "k%d", k);
      if (strcmp(children.data[i], name) == 0) seen |= 1 << k;
    }
  CHECK(seen == 7, "children names mask %d", seen);
  deallocate_String_vector(&children);

  CHECK_RC(zoo_delete(zh, path, -1), ZNOTEMPTY);
  snprintf(child, sizeof child, "%s/k0", path);
  CHECK_RC(zoo_delete(zh, child, 5), ZBADVERSION);
  CHECK_RC(zoo_delete(zh, child, 0), ZOK);
  CHECK_RC(zoo_delete(zh, child, -1), ZNONODE);
  CHECK_RC(zoo_exists(zh, path, 0, &st), ZOK);
  CHECK(st.numChildren == 2 && st.cversion == 4, "after delete %d/%d", st.numChildren,
        st.cversion);
}

static void test_sync_multi(zhandle_t *zh) {
  char path[128], created[128], gone[128], out[128];
  path_of(path, sizeof path, "/multi");
  path_of(created, sizeof created, "/multi/new");
  path_of(gone, sizeof gone, "/multi/gone");
  CHECK_RC(zoo_create(zh, path, "0", 1, &ZOO_OPEN_ACL_UNSAFE, ZOO_PERSISTENT, NULL, 0), ZOK);
  CHECK_RC(zoo_create(zh, gone, "", 0, &ZOO_OPEN_ACL_UNSAFE, ZOO_PERSISTENT, NULL, 0), ZOK);

  struct Stat set_stat;
  zoo_op_t ops[4];
  zoo_op_result_t results[4];
  zoo_create_op_init(&ops[0], created, "n", 1, &ZOO_OPEN_ACL_UNSAFE, ZOO_PERSISTENT, out,
                     sizeof out);
  zoo_set_op_init(&ops[1], path, "1", 1, 0, &set_stat);
  zoo_check_op_init(&ops[2], path, 1);
  zoo_delete_op_init(&ops[3], gone, -1);
  CHECK_RC(zoo_multi(zh, 4, ops, results), ZOK);
  for (int i = 0; i < 4; i++) CHECK(results[i].err == ZOK, "op %d err %d", i, results[i].err);
  CHECK(strcmp(out, created) == 0, "multi created %s", out);
  CHECK(set_stat.version == 1, "multi set version %d", set_stat.version);

  /* Partial failure: nothing applied; per-op errors OK / BADVERSION / RUNTIMEINCONSISTENCY;
   * the call returns the failing op's error. */
  char again[128];
  path_of(again, sizeof again, "/multi/again");
  zoo_create_op_init(&ops[0], again, "", 0, &ZOO_OPEN_ACL_UNSAFE, ZOO_PERSISTENT, NULL, 0);
  zoo_set_op_init(&ops[1], path, "2", 1, 7, NULL);
  zoo_delete_op_init(&ops[2], created, -1);
  CHECK_RC(zoo_multi(zh, 3, ops, results), ZBADVERSION);
  CHECK(results[0].err == ZOK && results[1].err == ZBADVERSION &&
        results[2].err == ZRUNTIMEINCONSISTENCY, "partial errs %d %d %d", results[0].err,
        results[1].err, results[2].err);
  struct Stat st;
  CHECK_RC(zoo_exists(zh, again, 0, &st), ZNONODE);
  CHECK_RC(zoo_exists(zh, created, 0, &st), ZOK);
}

static void test_sync_acl(zhandle_t *zh, const char *hostport) {
  char path[128];
  struct ACL_vector acl;
  struct Stat st;
  path_of(path, sizeof path, "/acl");
  CHECK_RC(zoo_create(zh, path, "a", 1, &ZOO_READ_ACL_UNSAFE, ZOO_PERSISTENT, NULL, 0), ZOK);
  CHECK_RC(zoo_set(zh, path, "b", 1, -1), ZNOAUTH);
  CHECK_RC(zoo_get_acl(zh, path, &acl, &st), ZOK);
  CHECK(acl.count == 1 && acl.data[0].perms == ZOO_PERM_READ &&
        strcmp(acl.data[0].id.scheme, "world") == 0 &&
        strcmp(acl.data[0].id.id, "anyone") == 0, "read acl");
  deallocate_ACL_vector(&acl);
  CHECK_RC(zoo_set_acl(zh, path, 0, &ZOO_OPEN_ACL_UNSAFE), ZNOAUTH);  /* no ADMIN */

  /* Digest auth, then an "auth" ACL that becomes the creator's digest id. */
  CHECK_RC(zoo_add_auth(zh, "digest", "alice:secret", 12, NULL, NULL), ZOK);
  path_of(path, sizeof path, "/private");
  CHECK_RC(zoo_create(zh, path, "p", 1, &ZOO_CREATOR_ALL_ACL, ZOO_PERSISTENT, NULL, 0), ZOK);
  CHECK_RC(zoo_get_acl(zh, path, &acl, &st), ZOK);
  CHECK(acl.count == 1 && acl.data[0].perms == ZOO_PERM_ALL &&
        strcmp(acl.data[0].id.scheme, "digest") == 0 &&
        strcmp(acl.data[0].id.id, digest_id) == 0, "creator acl id %s",
        acl.count ? acl.data[0].id.id : "(none)");
  deallocate_ACL_vector(&acl);
  CHECK_RC(zoo_set_acl(zh, path, 5, &ZOO_CREATOR_ALL_ACL), ZBADVERSION);
  CHECK_RC(zoo_set_acl(zh, path, 0, &ZOO_CREATOR_ALL_ACL), ZOK);
  CHECK_RC(zoo_exists(zh, path, 0, &st), ZOK);
  CHECK(st.aversion == 1, "aversion %d", st.aversion);

  struct recorder r2;
  zhandle_t *stranger = connect_to(hostport, &r2);
  CHECK(stranger != NULL, "second handle");
  if (stranger == NULL) return;
  char buf[16];
  int len = sizeof buf;
  CHECK_RC(zoo_get(stranger, path, 0, buf, &len, &st), ZNOAUTH);
  CHECK_RC(zoo_add_auth(stranger, "digest", "alice:wrong", 11, NULL, NULL), ZOK);
  len = sizeof buf;
  CHECK_RC(zoo_get(stranger, path, 0, buf, &len, &st), ZNOAUTH);
  CHECK_RC(zoo_add_auth(stranger, "digest", "alice:secret", 12, NULL, NULL), ZOK);
  len = sizeof buf;
  CHECK_RC(zoo_get(stranger, path, 0, buf, &len, &st), ZOK);
  CHECK(len == 1 && buf[0] == 'p', "authorized get");
  zookeeper_close(stranger);
}

static void test_sync_watches(zhandle_t *zh, struct recorder *r, zhandle_t *writer) {
  char path[128], child[160];
  struct Stat st;
  char buf[16];
  int len = sizeof buf;
  struct String_vector children;
  path_of(path, sizeof path, "/watched");
  path_of(child, sizeof child, "/watched/c");
  pthread_mutex_lock(&lock);
  r->count = 0;
  pthread_mutex_unlock(&lock);

  CHECK_RC(zoo_wexists(zh, path, record_event, r, &st), ZNONODE);
  CHECK_RC(zoo_create(writer, path, "", 0, &ZOO_OPEN_ACL_UNSAFE, ZOO_PERSISTENT, NULL, 0), ZOK);
  CHECK_RC(zoo_wget(zh, path, record_event, r, buf, &len, &st), ZOK);
  CHECK_RC(zoo_wget_children(zh, path, record_event, r, &children), ZOK);
  deallocate_String_vector(&children);
  CHECK_RC(zoo_set(writer, path, "1", 1, -1), ZOK);
  CHECK_RC(zoo_set(writer, path, "2", 1, -1), ZOK);   /* data watch already fired */
  CHECK_RC(zoo_create(writer, child, "", 0, &ZOO_OPEN_ACL_UNSAFE, ZOO_PERSISTENT, NULL, 0),
           ZOK);
  CHECK_RC(zoo_delete(writer, child, -1), ZOK);        /* child watch already fired */
  barrier(zh);
  pthread_mutex_lock(&lock);
  CHECK(r->count == 3, "watch events: %d, want 3", r->count);
  CHECK(event_is(r, 0, ZOO_CREATED_EVENT, path), "event 0");
  CHECK(event_is(r, 1, ZOO_CHANGED_EVENT, path), "event 1");
  CHECK(event_is(r, 2, ZOO_CHILD_EVENT, path), "event 2");
  pthread_mutex_unlock(&lock);

  /* The legacy watcher (watch=1) goes to the handle's global watcher. */
  CHECK_RC(zoo_exists(zh, path, 1, &st), ZOK);
  CHECK_RC(zoo_delete(writer, path, -1), ZOK);
  barrier(zh);
  pthread_mutex_lock(&lock);
  CHECK(r->count == 4 && event_is(r, 3, ZOO_DELETED_EVENT, path), "delete event (%d)", r->count);
  pthread_mutex_unlock(&lock);
}

/* ---- async API --------------------------------------------------------------------------- */

struct result {
  int done;
  int rc;
  char value[256];
  int value_len;
  struct Stat stat;
  int count;
  int order[PIPELINED];
};

static void on_void(int rc, const void *data) {
  struct result *res = (struct result *)data;
  res->rc = rc;
  bump(&res->done);
}

static void on_string(int rc, const char *value, const void *data) {
  struct result *res = (struct result *)data;
  res->rc = rc;
  if (rc == ZOK && value) snprintf(res->value, sizeof res->value, "%s", value);
  bump(&res->done);
}

static void on_string_stat(int rc, const char *value, const struct Stat *stat,
                           const void *data) {
  struct result *res = (struct result *)data;
  res->rc = rc;
  if (rc == ZOK) {
    snprintf(res->value, sizeof res->value, "%s", value);
    res->stat = *stat;
  }
  bump(&res->done);
}

static void on_data(int rc, const char *value, int value_len, const struct Stat *stat,
                    const void *data) {
  struct result *res = (struct result *)data;
  res->rc = rc;
  if (rc == ZOK) {
    res->value_len = value_len;
    memcpy(res->value, value, value_len < 255 ? value_len : 255);
    res->stat = *stat;
  }
  bump(&res->done);
}

static void on_stat(int rc, const struct Stat *stat, const void *data) {
  struct result *res = (struct result *)data;
  res->rc = rc;
  if (rc == ZOK) res->stat = *stat;
  bump(&res->done);
}

static void on_children(int rc, const struct String_vector *strings, const struct Stat *stat,
                        const void *data) {
  struct result *res = (struct result *)data;
  res->rc = rc;
  if (rc == ZOK) {
    res->count = strings->count;
    res->stat = *stat;
  }
  bump(&res->done);
}

static void on_acl(int rc, struct ACL_vector *acl, struct Stat *stat, const void *data) {
  struct result *res = (struct result *)data;
  res->rc = rc;
  if (rc == ZOK) {
    res->count = acl->count;
    res->stat = *stat;
  }
  bump(&res->done);
}

/* Pipelined creates: completions must arrive in submission order. */
static struct result pipeline;
static int pipeline_tags[PIPELINED];

static void on_pipelined(int rc, const char *value, const void *data) {
  (void)value;
  pthread_mutex_lock(&lock);
  if (rc == ZOK) pipeline.order[pipeline.count++] = *(const int *)data;
  pipeline.done++;
  pthread_cond_broadcast(&changed);
  pthread_mutex_unlock(&lock);
}

#define WAIT_RESULT(res) CHECK(wait_count(&(res).done, 1), "no completion for %s", #res)

static void test_async(zhandle_t *zh) {
  char path[128];
  struct result create = {0}, create2 = {0}, get = {0}, set = {0}, exists = {0}, kids = {0},
                acl = {0}, synced = {0}, multi = {0}, del = {0}, missing = {0};
  path_of(path, sizeof path, "/async");
  CHECK_RC(zoo_acreate(zh, path, "a1", 2, &ZOO_OPEN_ACL_UNSAFE, ZOO_PERSISTENT, on_string,
                       &create), ZOK);
  WAIT_RESULT(create);
  CHECK(create.rc == ZOK && strcmp(create.value, path) == 0, "acreate rc %d", create.rc);

  char child[160];
  snprintf(child, sizeof child, "%s/s-", path);
  CHECK_RC(zoo_acreate2(zh, child, "", 0, &ZOO_OPEN_ACL_UNSAFE, ZOO_PERSISTENT_SEQUENTIAL,
                        on_string_stat, &create2), ZOK);
  WAIT_RESULT(create2);
  CHECK(create2.rc == ZOK && create2.stat.czxid > 0 &&
        strstr(create2.value, "s-0000000000") != NULL, "acreate2 %s", create2.value);

  CHECK_RC(zoo_aget(zh, path, 0, on_data, &get), ZOK);
  WAIT_RESULT(get);
  CHECK(get.rc == ZOK && get.value_len == 2 && memcmp(get.value, "a1", 2) == 0, "aget");
  CHECK_RC(zoo_aset(zh, path, "a2", 2, 0, on_stat, &set), ZOK);
  WAIT_RESULT(set);
  CHECK(set.rc == ZOK && set.stat.version == 1, "aset rc %d", set.rc);
  CHECK_RC(zoo_aexists(zh, path, 0, on_stat, &exists), ZOK);
  WAIT_RESULT(exists);
  CHECK(exists.rc == ZOK && exists.stat.numChildren == 1, "aexists");
  CHECK_RC(zoo_aget_children2(zh, path, 0, on_children, &kids), ZOK);
  WAIT_RESULT(kids);
  CHECK(kids.rc == ZOK && kids.count == 1 && kids.stat.numChildren == 1, "aget_children2");
  CHECK_RC(zoo_aget_acl(zh, path, on_acl, &acl), ZOK);
  WAIT_RESULT(acl);
  CHECK(acl.rc == ZOK && acl.count == 1, "aget_acl");
  CHECK_RC(zoo_async(zh, path, on_string, &synced), ZOK);
  WAIT_RESULT(synced);
  CHECK(synced.rc == ZOK && strcmp(synced.value, path) == 0, "async(sync) %s", synced.value);

  zoo_op_t ops[2];
  zoo_op_result_t results[2];
  zoo_check_op_init(&ops[0], path, 0);             /* stale: version is 1 */
  zoo_set_op_init(&ops[1], path, "x", 1, -1, NULL);
  CHECK_RC(zoo_amulti(zh, 2, ops, results, on_void, &multi), ZOK);
  WAIT_RESULT(multi);
  CHECK(multi.rc == ZBADVERSION && results[0].err == ZBADVERSION &&
        results[1].err == ZRUNTIMEINCONSISTENCY, "amulti rc %d errs %d %d", multi.rc,
        results[0].err, results[1].err);

  CHECK_RC(zoo_adelete(zh, path, -1, on_void, &del), ZOK);
  WAIT_RESULT(del);
  CHECK(del.rc == ZNOTEMPTY, "adelete rc %d", del.rc);
  char nothing[160];
  snprintf(nothing, sizeof nothing, "%s/none", path);
  CHECK_RC(zoo_aget(zh, nothing, 0, on_data, &missing), ZOK);
  WAIT_RESULT(missing);
  CHECK(missing.rc == ZNONODE, "aget missing rc %d", missing.rc);

  /* Many requests in flight on one session complete in FIFO order. */
  char seq[160];
  snprintf(seq, sizeof seq, "%s/p-", path);
  for (int i = 0; i < PIPELINED; i++) {
    pipeline_tags[i] = i;
    CHECK_RC(zoo_acreate(zh, seq, "", 0, &ZOO_OPEN_ACL_UNSAFE, ZOO_PERSISTENT_SEQUENTIAL,
                         on_pipelined, &pipeline_tags[i]), ZOK);
  }
  CHECK(wait_count(&pipeline.done, PIPELINED), "pipelined completions %d", pipeline.done);
  int in_order = pipeline.count == PIPELINED;
  for (int i = 0; in_order && i < PIPELINED; i++) in_order = pipeline.order[i] == i;
  CHECK(in_order, "pipelined creates completed out of order (%d ok)", pipeline.count);
}

static void test_close_removes_ephemerals(const char *hostport, zhandle_t *observer) {
  struct recorder r;
  zhandle_t *zh = connect_to(hostport, &r);
  CHECK(zh != NULL, "third handle");
  if (zh == NULL) return;
  char path[128];
  struct Stat st;
  path_of(path, sizeof path, "/short-lived");
  CHECK_RC(zoo_create(zh, path, "", 0, &ZOO_OPEN_ACL_UNSAFE, ZOO_EPHEMERAL, NULL, 0), ZOK);
  CHECK_RC(zoo_exists(observer, path, 0, &st), ZOK);
  CHECK_RC(zookeeper_close(zh), ZOK);
  CHECK_RC(zoo_exists(observer, path, 0, &st), ZNONODE);
}

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: %s HOST:PORT DIGEST_ID\n", argv[0]);
    return 2;
  }
  const char *hostport = argv[1];
  digest_id = argv[2];
  snprintf(root, sizeof root, "/c_client_%d", (int)getpid());
  zoo_set_debug_level(getenv("INTEROP_C_DEBUG") ? ZOO_LOG_LEVEL_DEBUG : ZOO_LOG_LEVEL_ERROR);

  struct recorder r1, r2;
  zhandle_t *zh = connect_to(hostport, &r1);
  zhandle_t *writer = connect_to(hostport, &r2);
  if (zh == NULL || writer == NULL) return 1;

  test_sync_create_modes(zh);
  test_sync_data(zh);
  test_sync_children_and_delete(zh);
  test_sync_multi(zh);
  test_sync_acl(zh, hostport);
  test_sync_watches(zh, &r1, writer);
  test_async(zh);
  test_close_removes_ephemerals(hostport, writer);

  zookeeper_close(writer);
  zookeeper_close(zh);
  printf("%d checks, %d failed\n", checks_run, checks_failed);
  return checks_failed == 0 ? 0 : 1;
}
