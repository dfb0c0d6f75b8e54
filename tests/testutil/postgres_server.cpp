#include "testutil/postgres_server.h"

#include <libpq-fe.h>
#include <pwd.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <fstream>

#include "testutil/cluster.h"
#include "testutil/ports.h"

namespace datasync::testutil {
namespace {

const char kBin[] = "/usr/lib/postgresql/15/bin";

std::string Bin(const std::string& name) { return std::string(kBin) + "/" + name; }

// The user that runs the server when we are root.
const passwd* Unprivileged() { return getpwnam("nobody"); }

::testing::AssertionResult RunToEnd(const SpawnOptions& options,
                                    std::chrono::seconds timeout,
                                    const std::string& what) {
  std::string error;
  auto p = Process::Spawn(options, &error);
  if (!p) return ::testing::AssertionFailure() << what << ": " << error;
  auto status = p->Wait(timeout);
  if (!status || !status->ok()) {
    return ::testing::AssertionFailure()
           << what << ": " << (status ? status->ToString() : "timed out") << "\n"
           << ReadFileOrEmpty(options.stderr_path)
           << ReadFileOrEmpty(options.stdout_path);
  }
  return ::testing::AssertionSuccess();
}

}  // namespace

std::string PostgresServer::Unavailable() {
  for (const char* b : {"initdb", "postgres", "psql"}) {
    const std::string path = std::string(b) == "psql" ? "/usr/bin/psql" : Bin(b);
    if (access(path.c_str(), X_OK) != 0) {
      return path + " is missing (Debian packages postgresql and postgresql-client)";
    }
  }
  if (geteuid() == 0 && Unprivileged() == nullptr)
    return "no user nobody to run postgres as";
  return "";
}

PostgresServer::PostgresServer()
    : data_(dir_.Sub("data")), sockets_(dir_.Sub("sockets")) {}

PostgresServer::~PostgresServer() {
  if (postmaster_ && postmaster_->Running()) (void)Stop();
}

std::vector<std::string> PostgresServer::AsUser(const std::string& binary) const {
  if (geteuid() != 0) return {binary};
  return {"/usr/bin/setpriv",
          "--reuid=nobody",
          "--regid=nogroup",
          "--clear-groups",
          "--",
          binary};
}

::testing::AssertionResult PostgresServer::Init() {
  ::mkdir(data_.c_str(), 0700);
  ::mkdir(sockets_.c_str(), 0700);
  if (geteuid() == 0) {
    // The server's user must reach its folders through ours.
    const passwd* pw = Unprivileged();
    if (::chmod(dir_.path().c_str(), 0755) != 0 ||
        ::chown(data_.c_str(), pw->pw_uid, pw->pw_gid) != 0 ||
        ::chown(sockets_.c_str(), pw->pw_uid, pw->pw_gid) != 0) {
      return ::testing::AssertionFailure()
             << "cannot hand " << dir_.path() << " to nobody";
    }
  }
  std::vector<std::string> argv = AsUser(Bin("initdb"));
  SpawnOptions o;
  o.binary = argv[0];
  o.args.assign(argv.begin() + 1, argv.end());
  for (const char* a : {"-D", data_.c_str(), "-U", "postgres", "-A", "trust", "-E",
                        "UTF8", "--no-locale", "--no-sync", "--no-instructions"}) {
    o.args.push_back(a);
  }
  o.stdout_path = dir_.Sub("initdb.out");
  o.stderr_path = dir_.Sub("initdb.err");
  o.cwd = "/";
  return RunToEnd(o, std::chrono::seconds(120), "initdb");
}

::testing::AssertionResult PostgresServer::Start(
    const std::vector<std::string>& settings) {
  if (port_ == 0) port_ = PickFreePort();
  std::string last;
  // After a kill, the old server's processes take a moment to see their
  // postmaster gone; until then a new one refuses the data folder.
  const bool up = WaitUntil(
      [&] {
        if (!postmaster_ || !postmaster_->Running()) {
          std::vector<std::string> argv = AsUser(Bin("postgres"));
          SpawnOptions o;
          o.binary = argv[0];
          o.args.assign(argv.begin() + 1, argv.end());
          const std::string port = std::to_string(port_);
          for (const std::string& a :
               std::vector<std::string>{"-D", data_,
                                        "-c", "port=" + port,
                                        "-c", "listen_addresses=127.0.0.1",
                                        "-k", sockets_,
                                        "-c", "wal_level=logical",
                                        "-c", "max_replication_slots=20",
                                        "-c", "max_wal_senders=20",
                                        "-c", "fsync=off",
                                        "-c", "full_page_writes=off",
                                        "-c", "shared_buffers=32MB",
                                        "-c", "max_connections=50"}) {
            o.args.push_back(a);
          }
          for (const std::string& setting : settings) {
            o.args.push_back("-c");
            o.args.push_back(setting);
          }
          o.stderr_path = dir_.Sub("postgres.log");
          o.cwd = "/";
          std::string error;
          postmaster_ = Process::Spawn(o, &error);
          if (!postmaster_) {
            last = error;
            return false;
          }
        }
        const std::string info = Conninfo() + " connect_timeout=2";
        if (PQping(info.c_str()) == PQPING_OK) return true;
        last = ReadFileOrEmpty(dir_.Sub("postgres.log"));
        return false;
      },
      std::chrono::seconds(60), std::chrono::milliseconds(50));
  if (up) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "postgres did not start: " << last;
}

::testing::AssertionResult PostgresServer::Stop() {
  if (!postmaster_) return ::testing::AssertionSuccess();
  postmaster_->Kill(SIGINT);
  auto status = postmaster_->Wait(std::chrono::seconds(60));
  if (!status) return ::testing::AssertionFailure() << "postgres did not stop";
  return ::testing::AssertionSuccess();
}

::testing::AssertionResult PostgresServer::Kill() {
  if (!postmaster_ || !postmaster_->Kill(SIGKILL)) {
    return ::testing::AssertionFailure() << "postgres is not running";
  }
  (void)postmaster_->Wait(std::chrono::seconds(10));
  return ::testing::AssertionSuccess();
}

std::string PostgresServer::Conninfo(const std::string& db) const {
  return "host=127.0.0.1 port=" + std::to_string(port_) + " user=postgres dbname=" + db;
}

std::optional<Process> PostgresServer::StartPsql(const std::string& db,
                                                 const std::string& sql,
                                                 std::string* error) {
  const std::string file = dir_.Sub("psql-" + std::to_string(++psql_files_) + ".sql");
  std::ofstream(file) << sql;
  SpawnOptions o;
  o.binary = "/usr/bin/psql";
  o.args = {"-X", "-q",        "-v", "ON_ERROR_STOP=1",
            "-h", "127.0.0.1", "-p", std::to_string(port_),
            "-U", "postgres",  "-d", db,
            "-f", file};
  o.stdout_path = file + ".out";
  o.stderr_path = file + ".err";
  return Process::Spawn(o, error);
}

::testing::AssertionResult PostgresServer::Psql(const std::string& db,
                                                const std::string& sql) {
  std::string error;
  auto p = StartPsql(db, sql, &error);
  if (!p) return ::testing::AssertionFailure() << "psql: " << error;
  auto status = p->Wait(std::chrono::seconds(120));
  if (!status || !status->ok()) {
    return ::testing::AssertionFailure()
           << "psql: " << (status ? status->ToString() : "timed out") << "\n"
           << p->ReadStderr();
  }
  return ::testing::AssertionSuccess();
}

PgClient::PgClient(const std::string& conninfo) : conn_(PQconnectdb(conninfo.c_str())) {}

PgClient::~PgClient() {
  if (conn_ != nullptr) PQfinish(conn_);
}

bool PgClient::ok() const { return conn_ != nullptr && PQstatus(conn_) == CONNECTION_OK; }

namespace {

// Every row of `sql`, each a vector of cells; nullopt on error.
std::optional<std::vector<std::vector<std::string>>> Rows(PGconn* conn,
                                                          const std::string& sql,
                                                          std::string* error) {
  if (PQstatus(conn) != CONNECTION_OK) PQreset(conn);
  PGresult* r = PQexec(conn, sql.c_str());
  if (PQstatus(conn) != CONNECTION_OK) {
    // The server restarted since: once more on a new connection.
    PQclear(r);
    PQreset(conn);
    r = PQexec(conn, sql.c_str());
  }
  const ExecStatusType st = PQresultStatus(r);
  if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK) {
    if (error != nullptr) *error = PQerrorMessage(conn);
    PQclear(r);
    return std::nullopt;
  }
  std::vector<std::vector<std::string>> rows(static_cast<size_t>(PQntuples(r)));
  for (int i = 0; i < PQntuples(r); ++i) {
    for (int j = 0; j < PQnfields(r); ++j) rows[i].push_back(PQgetvalue(r, i, j));
  }
  PQclear(r);
  return rows;
}

}  // namespace

std::optional<std::string> PgClient::Dump(const std::string& sql, std::string* error) {
  auto rows = Rows(conn_, sql, error);
  if (!rows) return std::nullopt;
  std::string out;
  for (const auto& row : *rows) {
    for (size_t j = 0; j < row.size(); ++j) out += (j ? "|" : "") + row[j];
    out += "\n";
  }
  return out;
}

std::optional<std::string> PgClient::Query(const std::string& sql, std::string* error) {
  auto rows = Rows(conn_, sql, error);
  if (!rows) return std::nullopt;
  return rows->empty() || (*rows)[0].empty() ? "" : (*rows)[0][0];
}

int64_t PgClient::Int(const std::string& sql) {
  std::optional<std::string> v = Query(sql);
  if (!v || v->empty()) return -1;
  try {
    return std::stoll(*v);
  } catch (const std::exception&) {
    return -1;
  }
}

}  // namespace datasync::testutil
