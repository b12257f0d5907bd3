// Redis Cluster's key slots: CRC16 (XMODEM) of the key's hash tag, modulo
// 16384, as the Redis Cluster specification defines them. Keys with the same
// {tag} share a slot; a script, MULTI or multi-key command may only touch
// keys of one slot.
//
//   KeySlot(keys::Registrations("ev_1")) == KeySlot(keys::Counters("ev_1"))
#ifndef CONVENE_STORAGE_CLUSTER_SLOT_H_
#define CONVENE_STORAGE_CLUSTER_SLOT_H_

#include <cstdint>

#include "absl/strings/string_view.h"

namespace convene::storage {

inline constexpr int kClusterSlots = 16384;

// The part of `key` that is hashed: between the first '{' and the first '}'
// after it when that is not empty, else the whole key.
absl::string_view HashTagOf(absl::string_view key);

// 0..16383.
int KeySlot(absl::string_view key);

// CRC16-CCITT (XMODEM): polynomial 0x1021, initial value 0.
uint16_t Crc16(absl::string_view data);

}  // namespace convene::storage

#endif  // CONVENE_STORAGE_CLUSTER_SLOT_H_
