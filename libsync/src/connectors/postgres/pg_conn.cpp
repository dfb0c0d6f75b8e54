#include "connectors/postgres/pg_conn.h"

namespace datasync::pg_connector {
namespace {

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
  const char* state = r ? PQresultErrorField(r.get(), PG_DIAG_SQLSTATE) : nullptr;
  if (sqlstate != nullptr) *sqlstate = state ? state : "";
  std::string message = r ? PQresultErrorMessage(r.get()) : PQerrorMessage(conn_);
  if (PQstatus(conn_) != CONNECTION_OK) {
    return Status::IoError(context_ + ": connection lost: " + Trim(message));
  }
  return Status::IoError(context_ + ": " + Trim(message));
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
