* Firm B's private model. It takes in inB parts, builds xB products (at most 8), one part each,
* and delivers outB of them to firm C.
*   profit = - cost 3 xB + 1  =  -3 xB - 1
* An RHS on the objective row is the negated constant: RHS 1 means -1.
NAME firmB
OBJSENSE
    MAX
ROWS
 N  PROFIT
 L  INPUT
 L  OUTPUT
COLUMNS
    inB       INPUT     -1
    xB        PROFIT    -3        INPUT     1
    xB        OUTPUT    -1
    outB      OUTPUT    1
RHS
    RHS       PROFIT    1
BOUNDS
 UP BND       xB        8
ENDATA
