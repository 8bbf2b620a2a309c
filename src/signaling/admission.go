package signaling

import (
	"sync"
	"time"
)

// unauthCount counts the websockets without a participant (not joined yet, or after leave), per client address and
// in all, against UnauthPerAddress and UnauthTotal.
type unauthCount struct {
	mu         sync.Mutex
	perAddress map[string]int
	total      int
	maxAddress int
	maxTotal   int
}

func newUnauthCount(maxAddress, maxTotal int) *unauthCount {
	return &unauthCount{perAddress: make(map[string]int), maxAddress: maxAddress, maxTotal: maxTotal}
}

// Why an upgrade is refused.
const (
	refusedAddress = "address"
	refusedTotal   = "total"
)

// acquire counts one more websocket of ip, or returns why not: refusedAddress or refusedTotal. force counts it
// anyway (a websocket that leaves its room was admitted before).
func (u *unauthCount) acquire(ip string, force bool) string {
	u.mu.Lock()
	defer u.mu.Unlock()
	if !force {
		if u.perAddress[ip] >= u.maxAddress {
			return refusedAddress
		}
		if u.total >= u.maxTotal {
			return refusedTotal
		}
	}
	u.total++
	u.perAddress[ip]++
	return ""
}

func (u *unauthCount) release(ip string) {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.total--
	if u.perAddress[ip] <= 1 {
		delete(u.perAddress, ip)
		return
	}
	u.perAddress[ip]--
}

func (u *unauthCount) count() int {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.total
}

// user is what the websockets of one user share: their number and their rate limit.
type user struct {
	id      string
	sockets int
	limiter *sharedLimiter
}

// users counts the websockets attached to each user's participants, against SocketsPerUser.
type users struct {
	mu         sync.Mutex
	byID       map[string]*user
	maxSockets int
	rate       float64
	burst      int
}

func newUsers(maxSockets int, rate float64, burst int) *users {
	return &users{byID: make(map[string]*user), maxSockets: maxSockets, rate: rate, burst: burst}
}

// acquire counts one more websocket of id and returns the user, or nil when the user has maxSockets already.
func (us *users) acquire(id string, now time.Time) *user {
	us.mu.Lock()
	defer us.mu.Unlock()
	u, ok := us.byID[id]
	if !ok {
		u = &user{id: id, limiter: newSharedLimiter(us.rate, us.burst, now)}
		us.byID[id] = u
	}
	if u.sockets >= us.maxSockets {
		return nil
	}
	u.sockets++
	return u
}

// release uncounts one websocket of u; the user is forgotten with its last websocket.
func (us *users) release(u *user) {
	us.mu.Lock()
	defer us.mu.Unlock()
	u.sockets--
	if u.sockets <= 0 && us.byID[u.id] == u {
		delete(us.byID, u.id)
	}
}
