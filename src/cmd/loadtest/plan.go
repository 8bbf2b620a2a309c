package main

import (
	"fmt"
	"math/rand/v2"
)

// planRooms splits conns connections into rooms of minSize to maxSize members, sizes drawn uniformly. The last room
// takes what is left when that is fewer than minSize (it may then be smaller), so that every connection has a room.
func planRooms(conns, minSize, maxSize int, rng *rand.Rand) ([]int, error) {
	if conns < 1 || minSize < 1 || maxSize < minSize {
		return nil, fmt.Errorf("loadtest: cannot split %d connections into rooms of %d to %d", conns, minSize, maxSize)
	}
	var sizes []int
	for left := conns; left > 0; {
		size := minSize + rng.IntN(maxSize-minSize+1)
		if left-size < minSize {
			// What would remain cannot make a room: give it to this one if it fits, else make the rest a room.
			if left <= maxSize {
				size = left
			} else {
				size = left - minSize
			}
		}
		sizes = append(sizes, size)
		left -= size
	}
	return sizes, nil
}
