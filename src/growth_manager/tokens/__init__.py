"""The token gateway: platform tokens renewed before they expire under a lease, one forced
renewal on a 401, the rate-limit budgets each platform reports, key rotation, and which app
(real or sandbox) serves each platform."""
