#include "connectors/postgres/pg_conn.h"

namespace datasync::pg_connector {
namespace {

constexpr size_t kMaxPrepared = 256;

std::string Trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

}  // namespace

Status PgConn::Open(const std::string& conninfo, const std::string& context) {
  Close();
  context_ = context;
  // Fail fast: the driver retries with backoff, and the connector's thread
  // should not hang on a server that does not answer. Defaults first: the
  // conninfo, expanded in place of dbname, overrides them.
  const char* keys[] = {"connect_timeout", "application_name", "dbname", nullptr};
  const char* values[] = {"5", "datasync", conninfo.c_str(), nullptr};
  conn_ = PQconnectdbParams(keys, values, /*expand_dbname=*/1);
  if (conn_ == nullptr) return Status::IoError(context_ + ": out of memory");
  if (PQstatus(conn_) != CONNECTION_OK) {
    Status s =
        Status::IoError(context_ + ": cannot connect: " + Trim(PQerrorMessage(conn_)));
    Close();
    return s;
  }
  return Status::Ok();
}

void PgConn::Close() {
  if (conn_ != nullptr) PQfinish(conn_);
  conn_ = nullptr;
  prepared_.clear();  // prepared statements live and die with their session
}

Result<PgResult> PgConn::Query(const std::string& sql, const std::vector<Param>& params,
                               bool binary, std::string* sqlstate) {
  if (conn_ == nullptr) return Status::IoError(context_ + ": not connected");
  std::vector<const char*> values;
  for (const Param& p : params) values.push_back(p ? p->c_str() : nullptr);
  // Without parameters, PQexec: it also runs several statements at once.
  PgResult r(params.empty() && !binary
                 ? PQexec(conn_, sql.c_str())
                 : PQexecParams(conn_, sql.c_str(), static_cast<int>(values.size()),
                                nullptr, values.data(), nullptr, nullptr,
                                binary ? 1 : 0));
  const ExecStatusType st = r ? PQresultStatus(r.get()) : PGRES_FATAL_ERROR;
  if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK) return r;
  return ErrorOf(r.get(), sqlstate);
}

Status PgConn::ErrorOf(const PGresult* r, std::string* sqlstate) const {
  const char* state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : nullptr;
  if (sqlstate != nullptr) *sqlstate = state ? state : "";
  std::string message = r ? PQresultErrorMessage(r) : PQerrorMessage(conn_);
  if (PQstatus(conn_) != CONNECTION_OK) {
    return Status::IoError(context_ + ": connection lost: " + Trim(message));
  }
  return Status::IoError(context_ + ": " + Trim(message));
}

Status PgConn::Pipeline(const std::vector<Statement>& statements,
                        std::vector<PgResult>* results, size_t* failed,
                        std::string* sqlstate) {
  results->clear();
  if (conn_ == nullptr) return Status::IoError(context_ + ": not connected");
  if (PQenterPipelineMode(conn_) != 1) return ErrorOf(nullptr, sqlstate);
  // What each result answers, in order: a statement, or its preparation.
  struct Expected {
    size_t statement;
    bool prepare;
  };
  std::vector<Expected> expected;
  bool sent = true;
  for (size_t i = 0; i < statements.size() && sent; ++i) {
    const Statement& st = statements[i];
    std::vector<const char*> values;
    for (const Param& p : st.params) values.push_back(p ? p->c_str() : nullptr);
    const int n = static_cast<int>(values.size());
    auto it = prepared_.find(st.sql);
    // Shapes are few (a table's columns); the bound only guards memory.
    if (it == prepared_.end() && prepared_.size() < kMaxPrepared) {
      it = prepared_.emplace(st.sql, "datasync_" + std::to_string(next_name_++)).first;
      sent = PQsendPrepare(conn_, it->second.c_str(), st.sql.c_str(), 0, nullptr) == 1;
      expected.push_back({i, true});
    }
    if (!sent) break;
    sent = it != prepared_.end()
               ? PQsendQueryPrepared(conn_, it->second.c_str(), n, values.data(), nullptr,
                                     nullptr, 0) == 1
               : PQsendQueryParams(conn_, st.sql.c_str(), n, nullptr, values.data(),
                                   nullptr, nullptr, 0) == 1;
    expected.push_back({i, false});
  }
  if (sent) sent = PQpipelineSync(conn_) == 1;
  Status out = sent ? Status::Ok() : ErrorOf(nullptr, sqlstate);
  // Every result up to the sync is read, even after an error, so that the
  // connection leaves pipeline mode ready for the next statement.
  size_t next = 0;
  int empty = 0;
  while (sent) {
    PgResult r(PQgetResult(conn_));
    if (!r) {
      // A null ends each statement's results; two in a row: nothing more.
      if (++empty > 1 || PQstatus(conn_) != CONNECTION_OK) break;
      continue;
    }
    empty = 0;
    const ExecStatusType st = PQresultStatus(r.get());
    if (st == PGRES_PIPELINE_SYNC) break;
    if (next >= expected.size()) continue;
    const Expected e = expected[next++];
    const bool ok = st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK;
    // Not prepared (an error, or skipped after one): prepare it next time.
    if (e.prepare && !ok) prepared_.erase(statements[e.statement].sql);
    if (ok && !e.prepare) results->push_back(std::move(r));
    if (st != PGRES_PIPELINE_ABORTED && !ok && out.ok()) {
      out = ErrorOf(r.get(), sqlstate);
      if (failed != nullptr) *failed = e.statement;
    }
  }
  if (out.ok() && results->size() != statements.size()) {
    out = ErrorOf(nullptr, sqlstate);
  }
  if (PQexitPipelineMode(conn_) != 1 && out.ok()) out = ErrorOf(nullptr, sqlstate);
  return out;
}

Status PgConn::Exec(const std::string& sql, const std::vector<Param>& params,
                    std::string* sqlstate) {
  Result<PgResult> r = Query(sql, params, false, sqlstate);
  return r.ok() ? Status::Ok() : r.status();
}

std::string Cell(const PgResult& r, int row, int col) {
  if (PQgetisnull(r.get(), row, col)) return "";
  return std::string(PQgetvalue(r.get(), row, col),
                     static_cast<size_t>(PQgetlength(r.get(), row, col)));
}

std::string DescribeConninfo(const std::string& conninfo) {
  char* err = nullptr;
  PQconninfoOption* opts = PQconninfoParse(conninfo.c_str(), &err);
  if (opts == nullptr) {
    if (err != nullptr) PQfreemem(err);
    return "postgres";
  }
  std::string out;
  for (PQconninfoOption* o = opts; o->keyword != nullptr; ++o) {
    const std::string k = o->keyword;
    if (o->val != nullptr &&
        (k == "host" || k == "hostaddr" || k == "port" || k == "dbname")) {
      out += (out.empty() ? "" : " ") + k + "=" + o->val;
    }
  }
  PQconninfoFree(opts);
  return "postgres " + (out.empty() ? std::string("(defaults)") : out);
}

}  // namespace datasync::pg_connector
