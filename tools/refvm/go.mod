module cannonball/refvm

go 1.26.0

tool github.com/ethereum-optimism/optimism/cannon

require (
	github.com/BurntSushi/toml v1.5.0 // indirect
	github.com/ProjectZKM/Ziren/crates/go-runtime/zkvm_runtime v0.0.0-20251001021608-1fe7b43fc4d6 // indirect
	github.com/cpuguy83/go-md2man/v2 v2.0.5 // indirect
	github.com/decred/dcrd/dcrec/secp256k1/v4 v4.4.0 // indirect
	github.com/ethereum-optimism/optimism v1.19.6 // indirect
	github.com/ethereum/go-ethereum v1.17.0 // indirect
	github.com/hashicorp/golang-lru/v2 v2.0.7 // indirect
	github.com/holiman/uint256 v1.3.2 // indirect
	github.com/russross/blackfriday/v2 v2.1.0 // indirect
	github.com/urfave/cli/v2 v2.27.6 // indirect
	github.com/xrash/smetrics v0.0.0-20240521201337-686a1a2994c1 // indirect
	golang.org/x/crypto v0.56.0 // indirect
	golang.org/x/sys v0.47.0 // indirect
	golang.org/x/term v0.45.0 // indirect
)

// Upstream's own go.mod at v1.19.6 replaces go-ethereum with op-geth; replace
// directives of a dependency are not inherited, so the main module repeats it.
replace github.com/ethereum/go-ethereum => github.com/ethereum-optimism/op-geth v1.101702.3-rc.7

// Also repeated from upstream's go.mod at v1.19.6.
exclude (
	github.com/kataras/iris/v12 v12.2.0-beta5
	github.com/kataras/iris/v12 v12.2.0
	github.com/kataras/iris/v12 v12.2.11
)
