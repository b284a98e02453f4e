// Entry of the public/pluggy-connect.js bundle (built by `make npm-deps` with esbuild): Pluggy's SDK exposed as the
// global its CDN bundle defines, window.PluggyConnect (PLUGGY.md §8).
import { PluggyConnect } from "pluggy-connect-sdk";

window.PluggyConnect = PluggyConnect;
