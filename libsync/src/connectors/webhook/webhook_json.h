// The webhook's request body and idempotency key (README, "webhook").
//
//   {"connector": NAME, "changes": [
//     {"collection": C, "key": K, "value": V, "deleted": false,
//      "version": {"hlc": H, "origin": O}, "origin": O, "seq": S}, ...]}
//
// key and value are JSON strings when they are valid UTF-8; otherwise the
// member is named key_base64 / value_base64 and holds standard base64. A
// delete has "deleted": true and "value": null. (origin, seq) names one
// change of one node uniquely: receivers drop a change they have seen.
#pragma once

#include <string>
#include <vector>

#include "datasync/record.h"

namespace datasync::webhook_connector {

std::string ChangesJson(const std::string& connector, const std::vector<const Record*>& records);
// The same for the same list of (origin, seq): 32 hex digits.
std::string IdempotencyKey(const std::vector<const Record*>& records);

}  // namespace datasync::webhook_connector
