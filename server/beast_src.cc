// Boost.Beast compiled once for the whole project (sunwind_beast sets
// BOOST_BEAST_SEPARATE_COMPILATION on every target that links it).
#include <boost/beast/src.hpp>
