* Firm A's private model. It makes xA parts (at most 10) and delivers outA of them to firm B.
*   profit = - cost 2 xA + 0.5 xA^2  =  -2 xA - 0.5 xA^2
* The objective is c'x + 1/2 x'Qx + constant: Q[xA][xA] = -1 gives -0.5 xA^2.
NAME firmA
OBJSENSE
    MAX
ROWS
 N  PROFIT
 L  SHIP
COLUMNS
    xA        PROFIT    -2        SHIP      -1
    outA      SHIP      1
BOUNDS
 UP BND       xA        10
QUADOBJ
    xA        xA        -1
ENDATA
