// The Peer driven by hand: the effects it emits, in order, for a lone voter, and what an
// observer may never do.
#include "quorum/peer.h"

#include <gtest/gtest.h>

namespace rk::quorum {
namespace {

class EmptyState final : public StateSource {
 public:
  StateImage capture() override { return StateImage{0, std::make_shared<const std::string>()}; }
};

template <class T>
std::vector<T> effects_of(const std::vector<Effect>& effects) {
  std::vector<T> out;
  for (const Effect& e : effects)
    if (const auto* t = std::get_if<T>(&e)) out.push_back(*t);
  return out;
}

TEST(Peer, LoneVoterLeadsOnceItsHistoryIsDurable) {
  EmptyState state;
  Txn old_txn;
  old_txn.zxid = make_zxid(3, 7);
  Peer peer(PeerConfig{.id = 1, .members = {{1, false}}}, PersistedState{3, 3, 0, {old_txn}}, state);
  peer.start();
  std::vector<Effect> effects = peer.take_effects();
  auto epochs = effects_of<effect::PersistEpoch>(effects);
  ASSERT_EQ(epochs.size(), 2u);  // accepted, then current: epoch 4 above the promised 3
  EXPECT_EQ(epochs[0].accepted_epoch, 4);
  EXPECT_EQ(epochs[0].current_epoch, 3);
  EXPECT_EQ(epochs[1].current_epoch, 4);
  EXPECT_EQ(peer.role(), Role::kLeading);
  EXPECT_TRUE(peer.can_propose());  // restarted history is durable already
  EXPECT_EQ(peer.commit_zxid(), make_zxid(3, 7));  // the initial history is committed

  Txn t;
  t.zxid = peer.next_zxid();
  EXPECT_EQ(t.zxid, make_zxid(4, 1));
  peer.propose({t});
  effects = peer.take_effects();
  ASSERT_EQ(effects_of<effect::Append>(effects).size(), 1u);
  EXPECT_TRUE(effects_of<effect::Commit>(effects).empty());  // not durable yet
  peer.on_durable(t.zxid);
  auto commits = effects_of<effect::Commit>(peer.take_effects());
  ASSERT_EQ(commits.size(), 1u);
  EXPECT_EQ(commits[0].zxid, t.zxid);
}

TEST(Peer, ObserverNeverVotesNorLeads) {
  EmptyState state;
  Peer peer(PeerConfig{.id = 4, .members = {{1, false}, {2, false}, {3, false}, {4, true}}}, PersistedState{}, state);
  peer.start();
  for (int i = 0; i < 30; ++i) peer.on_tick();
  EXPECT_EQ(peer.role(), Role::kLooking);
  // One LOOKING voter's vote for itself is no quorum: the observer follows no one yet.
  peer.on_message(1, msg::Notification{Vote{1, 0, 0}, 1, Role::kLooking});
  EXPECT_EQ(peer.role(), Role::kLooking);
  // The established leader announcing itself does.
  peer.on_message(1, msg::Notification{Vote{1, 1, 0}, 1, Role::kLeading});
  EXPECT_EQ(peer.role(), Role::kObserving);
  auto sends = effects_of<effect::Send>(peer.take_effects());
  ASSERT_FALSE(sends.empty());
  EXPECT_TRUE(std::holds_alternative<msg::FollowerInfo>(sends.back().message));
  EXPECT_FALSE(peer.can_propose());
}

// Drives member 1 of three to lead: member 2 votes for it, then follows it.
void make_leader_with_epoch_one(Peer& a) {
  a.start();
  a.on_message(2, msg::Notification{Vote{1, 0, 0}, 1, Role::kLooking});
  ASSERT_EQ(a.role(), Role::kLeading);
  a.on_message(2, msg::FollowerInfo{1, 0, 0, 0});  // a quorum follows: epoch 1 is picked
  auto epochs = effects_of<effect::PersistEpoch>(a.take_effects());
  ASSERT_EQ(epochs.size(), 1u);
  ASSERT_EQ(epochs[0].accepted_epoch, 1);
}

const std::vector<Member> kThree = {{1, false}, {2, false}, {3, false}};

TEST(Peer, LeaderStepsDownForAVoterThatPromisedItsEpochToAnotherLeader) {
  EmptyState state;
  Peer a(PeerConfig{.id = 1, .members = kThree}, PersistedState{}, state);
  make_leader_with_epoch_one(a);
  // Member 2 left before our NewEpoch arrived, promised epoch 1 to member 3 (which picked the
  // same number), and comes back on a new connection.
  a.on_message(2, msg::FollowerInfo{2, 1, 0, 0});
  EXPECT_EQ(a.role(), Role::kLooking);
}

TEST(Peer, LeaderTakesBackAVoterThatPromisedItsEpochToIt) {
  EmptyState state;
  Peer a(PeerConfig{.id = 1, .members = kThree}, PersistedState{}, state);
  make_leader_with_epoch_one(a);
  a.on_message(2, msg::AckEpoch{1, 1, 0, 0});  // promised to us
  a.on_message(2, msg::FollowerInfo{2, 1, 0, 0});  // then reconnected
  EXPECT_EQ(a.role(), Role::kLeading);
  auto sends = effects_of<effect::Send>(a.take_effects());
  ASSERT_FALSE(sends.empty());
  EXPECT_TRUE(std::holds_alternative<msg::NewEpoch>(sends.back().message));
}

TEST(Peer, LeaderToldOfALaterEpochsLeaderStepsDown) {
  EmptyState state;
  Peer a(PeerConfig{.id = 1, .members = kThree}, PersistedState{}, state);
  make_leader_with_epoch_one(a);
  ASSERT_EQ(a.epoch(), 1);
  // A member following someone in our own epoch (or an older one) is no news.
  a.on_message(3, msg::Notification{Vote{1, 1, 0}, 1, Role::kFollowing});
  a.on_message(3, msg::Notification{Vote{2, 0, 0}, 1, Role::kFollowing});
  EXPECT_EQ(a.role(), Role::kLeading);
  // One following the leader of a later epoch: we were left behind (hung, cut off).
  a.on_message(3, msg::Notification{Vote{2, 2, 0}, 1, Role::kFollowing});
  EXPECT_EQ(a.role(), Role::kLooking);
}

// Member 3 of three follows member 1, which announced itself as the established leader.
void make_follower_of_one(Peer& c) {
  c.start();
  c.on_message(1, msg::Notification{Vote{1, 1, 0}, 1, Role::kLeading});
  ASSERT_EQ(c.role(), Role::kFollowing);
  ASSERT_EQ(c.leader(), 1);
  (void)c.take_effects();
}

TEST(Peer, FollowerPingedByALeaderItDoesNotFollowSaysWhomItFollows) {
  EmptyState state;
  Peer c(PeerConfig{.id = 3, .members = kThree}, PersistedState{}, state);
  make_follower_of_one(c);
  c.on_message(2, msg::Ping{7, 1, 0, 0});
  EXPECT_EQ(c.role(), Role::kFollowing);
  auto sends = effects_of<effect::Send>(c.take_effects());
  ASSERT_EQ(sends.size(), 1u);
  EXPECT_EQ(sends[0].to, 2);
  const auto* n = std::get_if<msg::Notification>(&sends[0].message);
  ASSERT_NE(n, nullptr);
  EXPECT_EQ(n->vote.leader, 1);
  EXPECT_EQ(n->sender_role, Role::kFollowing);
}

TEST(Peer, FollowerLooksAtOnceWhenItsLeadersConnectionEnds) {
  EmptyState state;
  Peer c(PeerConfig{.id = 3, .members = kThree}, PersistedState{}, state);
  make_follower_of_one(c);
  c.on_link_lost(2);  // not its leader
  EXPECT_EQ(c.role(), Role::kFollowing);
  c.on_link_lost(1);
  EXPECT_EQ(c.role(), Role::kLooking);
  auto roles = effects_of<effect::RoleChanged>(c.take_effects());
  ASSERT_FALSE(roles.empty());
  EXPECT_EQ(roles.back().role, Role::kLooking);
}

}  // namespace
}  // namespace rk::quorum
