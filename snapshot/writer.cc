// The engine-thread half of a snapshot: walk, build chunks, hand them over.
#include "snapshot/writer.h"

#include "snapshot/format.h"

namespace rk {

SnapshotWriter::SnapshotWriter(const SnapshotOptions& options, Zxid start_zxid)
    : start_zxid_(start_zxid),
      file_(std::make_unique<SnapshotFileWriter>(options.dir, start_zxid, options.queue_chunks_max,
                                                 options.wake_fd)),
      chunk_(options.chunk_bytes) {}

Result<std::unique_ptr<SnapshotWriter>> SnapshotWriter::start(const SnapshotOptions& options, Zxid start_zxid,
                                                             int64_t now_wall_ms, const SessionTable& sessions) {
  if (options.dir.empty()) return Status::error("snapshot: no directory");
  if (options.chunk_bytes == 0 || options.chunk_bytes > kFramePayloadBytesMax / 2) {
    return Status::error("snapshot: chunk size out of range");
  }
  if (options.queue_chunks_max == 0) return Status::error("snapshot: queue of zero chunks");
  std::unique_ptr<SnapshotWriter> w(new SnapshotWriter(options, start_zxid));
  w->outbox_.push_back(SnapshotChunk{build_header_chunk(w->next_seq_++, start_zxid, now_wall_ms)});
  // Sessions are few next to nodes: copy them now, in chunks of bounded size.
  std::vector<std::pair<SessionId, int32_t>> copied;
  for (const Session& s : sessions.all()) copied.emplace_back(s.id, s.timeout_ms);
  for (flatbuffers::DetachedBuffer& chunk : build_sessions_chunks(w->next_seq_, copied)) {
    w->outbox_.push_back(SnapshotChunk{std::move(chunk)});
  }
  Status started = w->file_->start();
  if (!started) return started;
  return w;
}

bool SnapshotWriter::drain_outbox() {
  while (!outbox_.empty()) {
    if (!file_->try_push(outbox_.front())) return false;
    outbox_.pop_front();
  }
  return true;
}

void SnapshotWriter::step(const DataTree& tree, size_t node_budget, Zxid applied_zxid) {
  if (file_->finished()) return;  // failed early: nothing more will be written
  if (!drain_outbox() || walk_done_) return;
  cursor_.invalidate();  // the tree may have changed since the last step
  const Node* node = nullptr;
  for (size_t emitted = 0; emitted < node_budget; ++emitted) {
    if (!cursor_.next(tree, node)) {
      end_walk(applied_zxid);
      break;
    }
    chunk_.add(*node);
    if (chunk_.full()) {
      outbox_.push_back(SnapshotChunk{chunk_.seal(next_seq_++)});
      // Build no further than one sealed chunk ahead of the file thread.
      if (!drain_outbox()) return;
    }
  }
  if (walk_done_) drain_outbox();
}

void SnapshotWriter::end_walk(Zxid applied_zxid) {
  walk_done_ = true;
  end_zxid_ = applied_zxid;
  if (!chunk_.empty()) outbox_.push_back(SnapshotChunk{chunk_.seal(next_seq_++)});
  SnapshotChunk footer{build_footer_chunk(next_seq_++, chunk_.node_count(), start_zxid_, applied_zxid,
                                                 chunk_.digest())};
  footer.last = true;
  outbox_.push_back(std::move(footer));
}

SnapshotResult SnapshotWriter::result() const {
  SnapshotResult r;
  const SnapshotFileResult& file = file_->result();
  r.path = file.path;
  r.bytes = file.bytes;
  r.duration_ms = file.duration_ms;
  r.node_count = chunk_.node_count();
  r.start_zxid = start_zxid_;
  r.end_zxid = end_zxid_;
  return r;
}

}  // namespace rk
