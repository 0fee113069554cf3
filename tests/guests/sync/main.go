//go:debug decoratemappings=0

// sync runs the sync and sync/atomic primitives under contention from
// several goroutines and prints totals that do not depend on scheduling.
package main

import (
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
)

const (
	workers = 8
	iters   = 2000
)

func mutex() int {
	var mu sync.Mutex
	var wg sync.WaitGroup
	n := 0
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < iters; i++ {
				mu.Lock()
				n++
				if i%256 == 0 {
					runtime.Gosched() // yield while holding the lock
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return n
}

func rwmutex() (int, int) {
	var rw sync.RWMutex
	var wg sync.WaitGroup
	m := map[int]int{}
	var reads atomic.Int64
	for w := 0; w < 2; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; i < 500; i++ {
				rw.Lock()
				m[w*500+i] = i
				rw.Unlock()
			}
		}(w)
	}
	for r := 0; r < 6; r++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 500; i++ {
				rw.RLock()
				_ = len(m)
				rw.RUnlock()
				reads.Add(1)
			}
		}()
	}
	wg.Wait()
	return len(m), int(reads.Load())
}

// cond implements a reusable barrier with sync.Cond and runs several phases.
func cond() int {
	var mu sync.Mutex
	c := sync.NewCond(&mu)
	arrived, phase := 0, 0
	barrier := func() {
		mu.Lock()
		p := phase
		arrived++
		if arrived == workers {
			arrived = 0
			phase++
			c.Broadcast()
		} else {
			for p == phase {
				c.Wait()
			}
		}
		mu.Unlock()
	}
	var wg sync.WaitGroup
	var work atomic.Int64
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ph := 0; ph < 20; ph++ {
				work.Add(1)
				barrier()
			}
		}()
	}
	wg.Wait()
	return int(work.Load())*1000 + phase
}

func once() int {
	var o sync.Once
	var calls atomic.Int32
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			o.Do(func() { calls.Add(1) })
		}()
	}
	wg.Wait()
	f := sync.OnceValue(func() int { calls.Add(1); return 42 })
	v1, v2 := f(), f()
	return 100*int(calls.Load()) + v1 + v2 // 2 calls in all: 284
}

func pool() int {
	var created atomic.Int32
	p := sync.Pool{New: func() any { created.Add(1); return new([64]byte) }}
	var wg sync.WaitGroup
	var uses atomic.Int32
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 200; i++ {
				b := p.Get().(*[64]byte)
				b[0]++
				uses.Add(1)
				p.Put(b)
			}
		}()
	}
	wg.Wait()
	runtime.GC()
	if c := created.Load(); c < 1 || c > 200*workers {
		return -1
	}
	return int(uses.Load())
}

func syncMap() (int, int) {
	var m sync.Map
	var wg sync.WaitGroup
	var loadedExisting atomic.Int32
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; i < 300; i++ {
				if _, loaded := m.LoadOrStore(i, w); loaded {
					loadedExisting.Add(1)
				}
			}
		}(w)
	}
	wg.Wait()
	keys := 0
	m.Range(func(k, v any) bool { keys++; return true })
	return keys, int(loadedExisting.Load())
}

func atomics() (int64, uint32, int) {
	var add atomic.Int64
	var casCount atomic.Uint32
	var v atomic.Value
	v.Store(0)
	var ptr atomic.Pointer[int]
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; i < iters; i++ {
				add.Add(int64(i))
				for {
					old := casCount.Load()
					if casCount.CompareAndSwap(old, old+1) {
						break
					}
				}
			}
			x := w
			ptr.Store(&x)
			v.Store(w)
		}(w)
	}
	wg.Wait()
	last := v.Load().(int)
	if p := ptr.Load(); p == nil || *p < 0 || *p >= workers || last < 0 || last >= workers {
		return -1, 0, 0
	}
	return add.Load(), casCount.Load(), workers
}

func main() {
	fmt.Printf("GOMAXPROCS>=1: %v\n", runtime.GOMAXPROCS(0) >= 1)
	fmt.Printf("mutex: %d\n", mutex())
	k, r := rwmutex()
	fmt.Printf("rwmutex: keys=%d reads=%d\n", k, r)
	fmt.Printf("cond: %d\n", cond())
	fmt.Printf("once: %d\n", once())
	fmt.Printf("pool: %d\n", pool())
	keys, existing := syncMap()
	fmt.Printf("sync.Map: keys=%d loaded=%d\n", keys, existing)
	a, c, n := atomics()
	fmt.Printf("atomic: add=%d cas=%d workers=%d\n", a, c, n)
	fmt.Println("sync: done")
}
