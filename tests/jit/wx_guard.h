// How many times the process asked mprotect for memory that is writable and executable at once
// (wx_guard.cpp).
#pragma once

int wx_guard_requests();
