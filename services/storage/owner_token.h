// A token naming this process as the holder of a lease kept in Redis (the
// change-feed relay's, the reminder planner's, claimed reminders): host,
// pid and a random number, so that two processes never hold one by mistake
// and an operator can tell which one does.
//
//   const std::string owner = storage::MakeOwnerToken();  // "host:4242:39..."
#ifndef CONVENE_STORAGE_OWNER_TOKEN_H_
#define CONVENE_STORAGE_OWNER_TOKEN_H_

#include <string>

namespace convene::storage {

std::string MakeOwnerToken();

}  // namespace convene::storage

#endif  // CONVENE_STORAGE_OWNER_TOKEN_H_
